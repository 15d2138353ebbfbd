r"""Output sizes of convolution, max-pooling and transposed convolution, one spatial axis.

Each function follows PyTorch's formula and refuses what PyTorch refuses, with a message
that says which argument is wrong and why:

    conv:        out = floor((in + 2p - d(k-1) - 1) / s) + 1
    max-pool:    the same, with ceil instead of floor when ceil_mode=True
    transposed:  out = (in - 1) s - 2p + d(k-1) + output_padding + 1

The source text writes the transposed formula as ``(in - 1) s - 2p + k``: the same thing
when dilation is 1 and output_padding is 0.

A size that works out to 0 or less is refused here. PyTorch refuses it too for most layers,
but some of its transposed-convolution kernels return an empty 0 x 0 map instead: either way
there is no image left, which is what the message says.
"""

import math

import torch

from .i18n import tr


def _check_common(size, kernel_size, stride, padding, dilation):
    for name, value in [("size", size), ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)]:
        if not (isinstance(value, int) and value > 0):
            raise ValueError(tr("{name} must be a positive whole number, got {value!r}.", name=name, value=value))
    if not (isinstance(padding, int) and padding >= 0):
        raise ValueError(tr("padding must be a whole number >= 0, got {padding!r}.", padding=padding))


def _positive(out, layer, size):
    """``out`` itself, or a ValueError saying that ``layer`` ("conv", "pool", "transpose") leaves no image."""
    if out > 0:
        return out
    if layer == "conv":
        message = tr(
            "A convolution of an input of size {size} would be {out}: the output is too small. "
            "Use a larger input, a smaller kernel or dilation, or more padding.",
            size=size,
            out=out,
        )
    elif layer == "pool":
        message = tr(
            "Max-pooling of an input of size {size} would be {out}: the output is too small. "
            "Use a larger input, a smaller kernel or dilation, or more padding.",
            size=size,
            out=out,
        )
    else:
        message = tr(
            "A transposed convolution of an input of size {size} would be {out}: the output is too small. "
            "Use a larger input, a smaller kernel or dilation, or more padding.",
            size=size,
            out=out,
        )
    raise ValueError(message)


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """``nn.Conv2d``'s output size along one axis (``padding`` may be 'same' or 'valid')."""
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if stride != 1:
            raise ValueError(
                tr(
                    "padding='same' is only supported with stride 1 (as in PyTorch); "
                    "got stride={stride}. Give padding as a number instead.",
                    stride=stride,
                )
            )
        _check_common(size, kernel_size, stride, 0, dilation)
        return size
    _check_common(size, kernel_size, stride, padding, dilation)
    return _positive((size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1, "conv", size)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``nn.MaxPool2d``'s output size along one axis (stride defaults to kernel_size)."""
    stride = kernel_size if stride is None else stride
    _check_common(size, kernel_size, stride, padding, dilation)
    if padding > kernel_size // 2:
        raise ValueError(
            tr(
                "padding={padding} is more than half the kernel size {kernel_size}: a window could hold "
                "padding only (PyTorch refuses it too). Use padding <= kernel_size // 2 = {half}.",
                padding=padding,
                kernel_size=kernel_size,
                half=kernel_size // 2,
            )
        )
    effective = dilation * (kernel_size - 1) + 1
    span = size + 2 * padding - effective
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window would start in the padding: PyTorch drops it
    return _positive(out, "pool", size)


TRANSPOSE_FORMULA = "out = (in - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1"


def conv_transpose_formula(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The transposed-convolution formula's value as it stands, before any check (it may be 0 or less)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """``nn.ConvTranspose2d``'s output size along one axis."""
    _check_common(size, kernel_size, stride, padding, dilation)
    if not (isinstance(output_padding, int) and output_padding >= 0):
        raise ValueError(
            tr("output_padding must be a whole number >= 0, got {output_padding!r}.", output_padding=output_padding)
        )
    if not (output_padding < stride or output_padding < dilation):
        raise ValueError(
            tr(
                "output_padding={output_padding} must be smaller than stride ({stride}) or dilation "
                "({dilation}): it only chooses among the sizes a stride of {stride} makes ambiguous.",
                output_padding=output_padding,
                stride=stride,
                dilation=dilation,
            )
        )
    out = conv_transpose_formula(size, kernel_size, stride, padding, output_padding, dilation)
    return _positive(out, "transpose", size)


def conv_transpose_substituted(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The right-hand side of the formula with the numbers filled in (no check, no result)."""
    return f"({size} - 1) * {stride} - 2 * {padding} + {dilation} * ({kernel_size} - 1) + {output_padding} + 1"


def explain_conv_transpose(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """The transposed-convolution formula with the numbers filled in, step by step."""
    settings = (size, kernel_size, stride, padding, output_padding, dilation)
    out = conv_transpose_output_size(*settings)
    terms = [(size - 1) * stride, 2 * padding, dilation * (kernel_size - 1), output_padding]
    return "\n".join(
        [
            TRANSPOSE_FORMULA,
            f"    = {conv_transpose_substituted(*settings)}",
            f"    = {terms[0]} - {terms[1]} + {terms[2]} + {terms[3]} + 1",
            f"    = {out}",
        ]
    )


def pytorch_output_size(layer, size):
    """What a real layer (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.ConvTranspose2d``, ...) gives along the last axis.

    Runs ``layer`` on zeros of shape (1, C, size, size), or (1, C, *size) for ``size=(height, width)``,
    C its ``in_channels`` (1 if it has none), on the device of its weights (``meta`` costs nothing).
    Returns ``(output width, None)``, or ``(None, PyTorch's first line)`` where PyTorch refuses:
    the reference the formulas here are tested against.
    """
    weight = next(layer.parameters(), None)
    device = weight.device if weight is not None else "cpu"
    spatial = (size, size) if isinstance(size, int) else tuple(size)
    x = torch.zeros(1, getattr(layer, "in_channels", 1), *spatial, device=device)
    try:
        with torch.no_grad():
            return layer(x).shape[-1], None
    except RuntimeError as error:  # PyTorch refuses in forward, not in the constructor
        return None, str(error).splitlines()[0]


def explain_conv(size, kernel_size, stride=1, padding=0, dilation=1):
    """The convolution formula with the numbers filled in, step by step."""
    out = conv_output_size(size, kernel_size, stride, padding, dilation)
    if padding == "same":
        return tr("padding='same' keeps the size:") + f" out = in = {out}"
    padding = 0 if padding == "valid" else padding
    top = size + 2 * padding - dilation * (kernel_size - 1) - 1
    return "\n".join(
        [
            "out = floor((in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1",
            f"    = floor(({size} + 2 * {padding} - {dilation} * ({kernel_size} - 1) - 1) / {stride}) + 1",
            f"    = floor({top} / {stride}) + 1",
            f"    = {out}",
        ]
    )


def doubling_settings(max_kernel_size=8, max_padding=4):
    """Every (kernel_size, stride, padding) that makes a transposed convolution give exactly 2 * in.

    ``out = 2 * in`` for every ``in`` forces stride 2 (the only term that multiplies ``in``),
    which leaves ``kernel_size - 2 * padding = 2``: (2, 2, 0), (4, 2, 1), (6, 2, 2), ...
    Found by testing the formula rather than by the algebra, so the two can be compared.
    """
    found = []
    for kernel_size in range(1, max_kernel_size + 1):
        for stride in range(1, 5):
            for padding in range(max_padding + 1):
                outs = []
                for size in (1, 2, 3, 7, 30):
                    try:
                        outs.append(conv_transpose_output_size(size, kernel_size, stride, padding))
                    except ValueError:
                        break
                if outs == [2 * s for s in (1, 2, 3, 7, 30)]:
                    found.append((kernel_size, stride, padding))
    return found
