"""Checker for the student's whole ``UNet(in_channels=1, num_classes=1)``.

The model is built on the ``meta`` device first (no memory, instant) to compare its layers
with the course's ``UNet``; only then is it given real weights for one small forward.
"""

from collections import Counter

import torch
from torch import nn

from .. import blocks
from ..i18n import tr
from ..model import UNet, count_parameters
from ._compare import raised
from ._core import (
    PARAMETER_LAYERS,
    CheckFailed,
    _student_frame,
    call,
    close,
    describe_layer,
    expect_class,
    modules_of,
    run_forward,
    seeded,
    share_weights,
    time_limited,
)
from ._gradients import gradients
from ._weights import names_note
from .out_conv import squashing

OFFSETS = 65521  # a prime: no two weights start at offsets a channel apart
SIZE = 16  # the smallest input the four levels take: 16 -> 1 at the bottom
SETTINGS = [(1, 1), (3, 2)]  # (in_channels, num_classes): the text's model, then another


def _wiring_hint():
    return tr(
        "Check the wiring in forward: x1 = in_conv(x); x2 = down1(x1); ... x5 = down4(x4); then x = up1(x5, x4), "
        "x = up2(x, x3), x = up3(x, x2), x = up4(x, x1); return out_conv(x)."
    )


def _fill(model, seed=0):
    """Give a model built on meta real weights, fresh BatchNorm statistics and real buffers.

    Drawing 31 million random numbers and writing them takes a while, so every weight is a
    view into one random pool, each starting at its own offset. Training-mode BatchNorm
    rescales every layer's output, so the weights need no scaling for the comparison.
    """
    generator = torch.Generator().manual_seed(seed)
    largest = max(p.numel() for p in model.parameters())
    pool = torch.rand(largest + OFFSETS, generator=generator) * 2 - 1
    index = 0
    for module in model.modules():
        for name, parameter in list(module.named_parameters(recurse=False)):
            start = (index * 7919) % OFFSETS
            view = pool[start : start + parameter.numel()].view(parameter.shape)
            module._parameters[name] = nn.Parameter(view, requires_grad=parameter.requires_grad)
            index += 1
        for name, buffer in list(module.named_buffers(recurse=False)):
            module._buffers[name] = torch.zeros(buffer.shape, dtype=buffer.dtype)
    for norm in modules_of(model, nn.modules.batchnorm._NormBase):
        norm.reset_running_stats()


def _listing(counter):
    items = [f"{n} x {layer}" if n > 1 else layer for layer, n in counter.items()]
    shown = "; ".join(items[:3])
    return tr("{shown}; and {more} more", shown=shown, more=len(items) - 3) if len(items) > 3 else shown


def _same_layers(model, reference, name):
    """The same layers as the course's UNet, whatever order they were written in."""
    mine = Counter(describe_layer(m) for m in modules_of(model, PARAMETER_LAYERS))
    theirs = Counter(describe_layer(m) for m in modules_of(reference, PARAMETER_LAYERS))
    extra, missing = mine - theirs, theirs - mine
    if extra or missing:
        raise CheckFailed(_different_layers(name, extra, missing))
    count, expected = count_parameters(model), count_parameters(reference)
    if count != expected:
        raise CheckFailed(
            tr(
                "{name} has {count:,} parameters; the course's UNet has {expected:,}.",
                name=name,
                count=count,
                expected=expected,
            )
        )


def _different_layers(name, extra, missing):
    """The message for layers the student's UNet has that the course's lacks, or lacks that it has."""
    if extra and missing:
        return tr(
            "{name} is built differently from the course's UNet: it has {extra} and it lacks {missing} (compared "
            "with the course's layers, in any order).",
            name=name,
            extra=_listing(extra),
            missing=_listing(missing),
        )
    if extra:
        return tr(
            "{name} is built differently from the course's UNet: it has {extra} (compared with the course's "
            "layers, in any order).",
            name=name,
            extra=_listing(extra),
        )
    return tr(
        "{name} is built differently from the course's UNet: it lacks {missing} (compared with the course's "
        "layers, in any order).",
        name=name,
        missing=_listing(missing),
    )


def _inside_up(exc):
    """Was ``exc`` raised inside an Up's forward (a skip that does not fit)?"""
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, blocks.Up) or type(owner).__name__ == "Up":
            return True
        tb = tb.tb_next
    return False


def _wiring(trace, name):
    """A forward that fails inside an Up: the skips are wired to the wrong levels."""
    if trace.error is None or not _inside_up(trace.error):
        return
    frame = _student_frame(trace.error)
    where = tr(" at the line `{line}`", line=frame.line) if frame is not None and frame.line else ""
    raise CheckFailed(
        tr(
            "Skips wired wrongly: in your {model}.forward an Up gets a skip from the wrong level{where}, so the "
            "up-sampled x and the skip do not fit together. Each Up takes the encoder output of its own level, "
            "the deepest first. {wiring}",
            model=name.split("(")[0],
            where=where,
            wiring=_wiring_hint(),
        )
    )


@time_limited
def check_unet(cls):
    """Check the student's ``UNet(in_channels=1, num_classes=1)``: layers, shapes, and output on shared weights."""
    __tracebackhide__ = True
    expect_class(cls, "UNet", "check_unet")
    with seeded():
        for in_channels, num_classes in SETTINGS:
            name = f"UNet(in_channels={in_channels}, num_classes={num_classes})"
            with torch.device("meta"):
                model = call(name, cls, in_channels=in_channels, num_classes=num_classes)
                reference = UNet(in_channels, num_classes)
            squash = modules_of(model, (nn.Sigmoid, nn.Softmax, nn.LogSoftmax))
            if squash:
                raise squashing(name, type(squash[0]).__name__)
            _same_layers(model, reference, name)
        with torch.device("meta"):
            model, reference = cls(in_channels=1, num_classes=1), UNet(1, 1)
        name = "UNet(in_channels=1, num_classes=1)"
        x = _same_output(model, reference, name, 1, 1)
        gradients(model, name, [x], ["x"])
    note = names_note(model, reference, "UNet")
    return (
        tr("UNet OK: the course's layers (31,036,481 parameters for 1 -> 1), logits of the input's size, same output.")
        + note
    )


def _same_output(model, reference, name, in_channels, num_classes):
    """Real weights, one small forward: the student's UNet and the course's agree."""
    _fill(model)
    x = torch.randn(2, in_channels, SIZE, SIZE)
    with torch.no_grad():
        trace = run_forward(f"{name}(x)", model, x.clone())
    _wiring(trace, name)
    raised(trace, name, x)
    found = next(iter(trace.kinds("sigmoid", "softmax")), None)
    if found:
        raise squashing(name, found)
    out, expected_shape = trace.output, (2, num_classes, SIZE, SIZE)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected_shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CheckFailed(
            tr(
                "{name} gives {got} for an input of shape {shape}; expected logits of shape {expected}: one per "
                "class and pixel, the input's size.",
                name=name,
                got=got,
                shape=tuple(x.shape),
                expected=expected_shape,
            )
        )
    # the course's UNet registers its layers in the order they run
    problem = share_weights(trace.layers(), modules_of(reference, PARAMETER_LAYERS), assign=True)
    if problem:
        raise CheckFailed(
            tr(
                "{name} runs its layers in a different order from the course's UNet: {problem}. {wiring}",
                name=name,
                problem=problem,
                wiring=_wiring_hint(),
            )
        )
    with torch.no_grad():
        expected = reference(x.clone())
    if close(out, expected):
        return x
    if close(out, torch.sigmoid(expected)) or close(out, torch.softmax(expected, dim=1)):
        raise squashing(name, "sigmoid")
    raise CheckFailed(
        tr(
            "{name} computes something different from the course's UNet on the same weights. {wiring}",
            name=name,
            wiring=_wiring_hint(),
        )
    )
