"""Multiply-adds: how much arithmetic each module does for one input size, computed from shapes only.

The shapes come from ``trace_shapes`` on the ``meta`` device, so nothing is computed and no
memory is used, even for the text's (10, 1, 480, 480). Two ways of counting:

- ``"exact"`` (default): one multiply-add per weight that meets one input value.
    Conv2d:           B * C_out * H_out * W_out * (C_in / groups) * k_h * k_w
    ConvTranspose2d:  B * C_in * H_in * W_in * (C_out / groups) * k_h * k_w   (each input value scatters a kernel)
    Linear:           (inputs in the batch) * in_features * out_features
  Biases, BatchNorm, ReLU, max-pooling and concatenation cost a few operations per value,
  not per weight, and count as zero. PyTorch's own ``torch.utils.flop_counter`` gives the same
  numbers (it reports FLOPs = 2 x multiply-adds).
- ``"torchinfo"``: the rule torchinfo 1.8 applies: every ``*Conv*`` module's parameters (biases
  included) times the batch times the *output* positions, and batch x parameters for other
  modules with parameters. For a transposed convolution with stride 2 the output has 4 times
  the input's positions, so each kernel weight is counted 4 times too often.
"""

from math import prod
from typing import NamedTuple

from torch import nn

from .shapes import Column, ModuleTable, indented_name, trace_shapes

CONVENTIONS = ("exact", "torchinfo")


class CostRow(NamedTuple):
    """One module call: its name, class, nesting depth, output shape, parameters and multiply-adds."""

    name: str
    kind: str
    depth: int
    output_shape: tuple
    params: int
    multiply_adds: int  # the module's own count, or the sum over its children for a container


def _exact(module, input_shape, output_shape):
    if isinstance(module, nn.ConvTranspose2d):
        kernel = prod(module.kernel_size) * module.out_channels // module.groups
        return prod(input_shape[:1] + input_shape[2:]) * module.in_channels * kernel
    if isinstance(module, nn.Conv2d):
        kernel = prod(module.kernel_size) * module.in_channels // module.groups
        return prod(output_shape[:1] + output_shape[2:]) * module.out_channels * kernel
    if isinstance(module, nn.Linear):
        return prod(input_shape[:-1]) * module.in_features * module.out_features
    return 0


def _torchinfo(module, output_shape):
    params = sum(p.numel() for p in module.parameters(recurse=False))
    if "Conv" in type(module).__name__:
        return params * prod(output_shape[:1] + output_shape[2:])
    return params * output_shape[0]


COST_COLUMNS = (
    Column("module", indented_name, text=True),
    Column("kind", lambda row: row.kind, text=True),
    Column("output", lambda row: str(row.output_shape), text=True),
    Column("params", lambda row: f"{row.params:,}"),
    Column("multiply-adds", lambda row: f"{row.multiply_adds:,}"),
)


def count_multiply_adds(model, input_size, convention="exact", max_depth=None):
    """Multiply-adds of every module of ``model`` for an input of ``input_size``, on the meta device.

    Leaf modules (Conv2d, ConvTranspose2d, Linear, ...) get their own count; containers (a
    ``DoubleConv``, a ``Down``) the sum over the calls nested inside them. ``max_depth`` keeps
    only the rows nested at most that deep (1 = the stages); the total is unchanged.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention={convention!r} is not supported: expected one of {CONVENTIONS}.")
    trace = trace_shapes(model, input_size)
    own = []
    for row in trace:
        module = model.get_submodule(row.name)
        if next(module.children(), None) is not None:
            own.append(0)  # a container: its children are counted
        elif convention == "exact":
            own.append(_exact(module, row.input_shapes[0], row.output_shape))
        else:
            own.append(_torchinfo(module, row.output_shape))
    rows = []
    for i, row in enumerate(trace):
        end = next((j for j in range(i + 1, len(trace)) if trace[j].depth <= row.depth), len(trace))
        if max_depth is None or row.depth <= max_depth:  # calls nested in this one follow it in the trace
            rows.append(CostRow(row.name, row.kind, row.depth, row.output_shape, row.params, sum(own[i:end])))
    return ModuleTable(rows, COST_COLUMNS, total=sum(own))
