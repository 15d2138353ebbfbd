"""Shape tracing: every module's input and output shapes, without computing anything.

``trace_shapes`` runs the model once with forward hooks. By default it runs on PyTorch's
``meta`` device, where tensors have shapes and dtypes but no storage, so tracing the text's
(10, 1, 480, 480) forward pass takes milliseconds and no memory.
"""

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch.func import functional_call


class ShapeRow(NamedTuple):
    """One module call: its name, class, nesting depth, shapes in and out, and parameters."""

    name: str
    kind: str
    depth: int
    input_shapes: tuple
    output_shape: tuple
    params: int  # all parameters inside the module (its own and its children's)


def _shape(value):
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)):
        return tuple(_shape(v) for v in value)
    return None


def _fmt(shape):
    return "(" + ", ".join(map(str, shape)) + ")" if shape and isinstance(shape[0], int) else str(shape)


def format_table(header, lines, text_columns):
    """Plain-text table: the first ``text_columns`` columns left-aligned, the numbers after them right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines)]
    rows = [header, tuple("-" * w for w in widths), *lines]
    return "\n".join(
        "  ".join(c.ljust(w) if i < text_columns else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    )


class Column(NamedTuple):
    """One column of a ``ModuleTable``: its header, the text of a row's cell, and whether it is text (left-aligned)."""

    header: str
    cell: Callable
    text: bool = False


class ModuleTable(list):
    """Rows about a model's modules (each with ``name`` and ``depth``), in call order; prints as a table.

    Shape traces and cost counts are both this table, with their own ``columns``; a table with
    a ``total`` prints it as a last row.
    """

    def __init__(self, rows=(), columns=(), total=None):
        super().__init__(rows)
        self.columns, self.total = tuple(columns), total

    def at_depth(self, depth):
        """Only the rows at one nesting level (1 = the model's direct children, e.g. the stages)."""
        return ModuleTable((row for row in self if row.depth == depth), self.columns, self.total)

    def find(self, name):
        """The row of the module called ``name`` (e.g. ``"down4"``)."""
        for row in self:
            if row.name == name:
                return row
        raise KeyError(f"No module named {name!r} in this table; names: {[r.name for r in self]}")

    def table(self):
        header = tuple(column.header for column in self.columns)
        lines = [tuple(column.cell(row) for column in self.columns) for row in self]
        if self.total is not None:
            lines.append(("total", *[""] * (len(header) - 2), f"{self.total:,}"))
        return format_table(header, lines, text_columns=sum(column.text for column in self.columns))

    def __str__(self):
        return self.table()

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.table())


def indented_name(row):
    """The module's name, indented two spaces per nesting level below the model's children."""
    return "  " * (row.depth - 1) + row.name


SHAPE_COLUMNS = (
    Column("module", indented_name, text=True),
    Column("kind", lambda row: row.kind, text=True),
    Column("input", lambda row: " cat ".join(_fmt(s) for s in row.input_shapes), text=True),  # Up: from below, skip
    Column("output", lambda row: _fmt(row.output_shape), text=True),
    Column("params", lambda row: f"{row.params:,}"),
)


def trace_shapes(model, input_size, device="meta", max_depth=None, dtype=torch.float32):
    """Run ``model`` on a zero input of ``input_size`` and record each module's shapes.

    ``device="meta"`` (default) computes shapes only; pass ``"cpu"`` to run for real.
    ``max_depth`` keeps only modules nested at most that deep (1 = the model's children).
    The model itself is not changed: it runs in eval mode (its mode is restored after) and,
    on ``meta``, its weights are swapped for empty stand-ins just for this call.
    """
    input_size = tuple(input_size)
    if not all(isinstance(n, int) and n > 0 for n in input_size):
        raise ValueError(f"input_size must be positive whole numbers like (10, 1, 480, 480), got {input_size}.")
    trace, handles = [], []
    names = {module: name for name, module in model.named_modules() if name}

    def before(module, args):
        slot = len(trace)
        trace.append(None)
        module._trace_slots = getattr(module, "_trace_slots", []) + [(slot, _shape(args))]

    def after(module, args, output):
        slot, inputs = module._trace_slots.pop()
        name = names[module]
        params = sum(p.numel() for p in module.parameters())
        trace[slot] = ShapeRow(name, type(module).__name__, name.count(".") + 1, inputs, _shape(output), params)

    for module, name in names.items():
        if max_depth is None or name.count(".") + 1 <= max_depth:
            handles.append(module.register_forward_pre_hook(before))
            handles.append(module.register_forward_hook(after))
    was_training = model.training
    model.eval()  # shapes do not depend on the mode, and eval lets BatchNorm take a batch of one at 1x1
    try:
        x = torch.zeros(input_size, device=device, dtype=dtype)
        tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
        with torch.no_grad():
            if str(device) == "meta":
                stand_ins = {name: torch.empty_like(t, device="meta") for name, t in tensors.items()}
                functional_call(model, stand_ins, (x,))
            else:
                model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
        for module in names:
            module.__dict__.pop("_trace_slots", None)
    return ModuleTable((row for row in trace if row is not None), SHAPE_COLUMNS)
