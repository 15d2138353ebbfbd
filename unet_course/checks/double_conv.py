"""Checker for the student's ``DoubleConv(in_channels, out_channels)``: (conv 3x3 => BN => ReLU) x 2.

The layer checks are shared with Down and Up, which hold a DoubleConv."""

import torch
from torch import nn

from .. import blocks
from ._compare import output, raised, same_as_reference, shape
from ._core import CheckFailed, call, describe_layer, expect_class, modules_of, run_forward, seeded, time_limited
from ._gradients import gradients
from ._weights import names_note

# (in_channels, out_channels, size): equal (a residual runs there), more, fewer; even and odd sizes
SETTINGS = [(4, 4, 12), (3, 8, 12), (8, 4, 11)]
# layers the text does not use, with what it uses instead
VARIANTS = [
    (nn.modules.instancenorm._InstanceNorm, "nn.BatchNorm2d(out_channels) after each conv"),
    (nn.GroupNorm, "nn.BatchNorm2d(out_channels) after each conv"),
    (nn.LayerNorm, "nn.BatchNorm2d(out_channels) after each conv"),
    (nn.modules.dropout._DropoutNd, "no dropout at all: remove it"),
    ((nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.PReLU), "nn.ReLU(inplace=True)"),
]
BN_DEFAULTS = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}


def _conv_shape(convs, name):
    for which, conv in zip(("first", "second"), convs):
        if conv.kernel_size != (3, 3):
            raise CheckFailed(
                f"The {which} conv of {name} has kernel_size={conv.kernel_size[0]}: DoubleConv uses 3x3 "
                "convolutions (kernel_size=3, padding=1)."
            )
        if conv.stride != (1, 1):
            raise CheckFailed(f"The {which} conv of {name} has stride={conv.stride[0]}: use the default stride 1.")
        pad = 0 if conv.padding == "valid" else 1 if conv.padding == "same" else conv.padding[0]
        if pad != 1:
            after = 12 + 4 * (pad - 1)
            label = "Missing padding" if pad == 0 else "Wrong padding"
            raise CheckFailed(
                f"{label}: the {which} conv of {name} has padding={pad}, so a 3x3 conv changes the size by "
                f"{2 * pad - 2} pixels each time (12x12 -> {after}x{after} after both convs). DoubleConv keeps "
                "the size: use padding=1."
            )


def _conv_channels(convs, name, in_channels, out_channels):
    first, second = convs
    if first.in_channels != in_channels:
        raise CheckFailed(
            f"Wrong channels: the first conv of {name} takes {first.in_channels} channels, but the input has "
            f"in_channels={in_channels}. The first conv is nn.Conv2d(in_channels, out_channels, ...)."
        )
    if first.out_channels != out_channels:
        raise CheckFailed(
            f"Wrong channels: the first conv of {name} gives {first.out_channels} channels; in DoubleConv both "
            f"convs give out_channels={out_channels}: nn.Conv2d(in_channels, out_channels, ...)."
        )
    if second.in_channels != first.out_channels or second.out_channels != out_channels:
        raise CheckFailed(
            f"Wrong channels: the second conv of {name} is {second.in_channels} -> {second.out_channels} channels, "
            f"after a first conv that gives {first.out_channels}. The second conv is "
            "nn.Conv2d(out_channels, out_channels, ...)."
        )


def _variants(block, name):
    """A layer the source text does not use, named as the student wrote it."""
    for types, instead in VARIANTS:
        found = modules_of(block, types)
        if found:
            raise CheckFailed(
                f"{name} uses {describe_layer(found[0])}, which the source text's DoubleConv does not: "
                f"it uses {instead}."
            )
    for norm in modules_of(block, nn.BatchNorm2d):
        for setting, default in BN_DEFAULTS.items():
            if getattr(norm, setting) != default:
                raise CheckFailed(
                    f"{name} has nn.BatchNorm2d(..., {setting}={getattr(norm, setting)}): the source text keeps "
                    f"BatchNorm's defaults ({setting}={default}). Write nn.BatchNorm2d(out_channels)."
                )


def _batch_norms(block, convs, name, out_channels):
    norms = modules_of(block, nn.BatchNorm2d)
    if not norms:
        raise CheckFailed(
            f"BatchNorm missing: {name} has no nn.BatchNorm2d. Each conv is followed by "
            "nn.BatchNorm2d(out_channels), then the ReLU."
        )
    if len(norms) != 2:
        raise CheckFailed(
            f"{name} has {len(norms)} nn.BatchNorm2d layer(s): each of the two convs needs its own "
            "nn.BatchNorm2d(out_channels) (they learn different statistics)."
        )
    order = list(block.modules())
    if order.index(norms[0]) < order.index(convs[0]):
        raise CheckFailed(
            f"BN or ReLU in the wrong place: {name} puts a BatchNorm2d before its first conv. The block is "
            "conv => BN => ReLU, twice: BatchNorm normalises each conv's output."
        )
    for norm in norms:
        if norm.num_features != out_channels:
            raise CheckFailed(
                f"Wrong channels: {name} has nn.BatchNorm2d({norm.num_features}) but its convs give "
                f"{out_channels} channels: use nn.BatchNorm2d(out_channels)."
            )
    for which, conv in zip(("first", "second"), convs):
        if conv.bias is not None:
            raise CheckFailed(
                f"Bias left on before BatchNorm: the {which} conv of {name} has bias=True. BatchNorm subtracts "
                f"each channel's mean right after, which cancels any bias: its {conv.out_channels} numbers are "
                "wasted parameters. Pass bias=False to both convs."
            )


def double_conv_layers(block, name, in_channels, out_channels):
    """What can be seen without running: two 3x3 same convs without bias, two BatchNorms, channels."""
    _variants(block, name)
    convs = modules_of(block, nn.Conv2d)
    if len(convs) == 1:
        raise CheckFailed(
            f"One conv instead of two: {name} has a single nn.Conv2d. The block is (conv 3x3 => BN => ReLU) "
            "*twice*: add nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False), with "
            "its own BatchNorm2d and ReLU, after the first."
        )
    if len(convs) != 2:
        raise CheckFailed(
            f"{name} has {len(convs)} nn.Conv2d layers; DoubleConv has exactly two: (conv 3x3 => BN => ReLU) x 2."
        )
    _conv_shape(convs, name)
    _conv_channels(convs, name, in_channels, out_channels)
    _batch_norms(block, convs, name, out_channels)


def extra_steps(trace, name):
    """Things forward does that the text's block does not: a residual sum, dropout, another norm."""
    kinds = trace.kinds()
    if "add" in kinds:
        raise CheckFailed(
            f"{name} adds a tensor to its output (a residual connection, `... + x`): the source text's DoubleConv "
            "has none, it is just (conv => BN => ReLU) x 2. Return the second ReLU's output as it is."
        )
    for kind in ("dropout", "InstanceNorm", "GroupNorm", "LayerNorm", "interpolate"):
        if kind in kinds:
            raise CheckFailed(
                f"{name}'s forward calls {kind} (a torch.nn.functional call): the source text's DoubleConv is "
                "conv => BN => ReLU, twice, and nothing else."
            )


def double_conv_order(trace, name):
    """conv => BN => ReLU, twice, in the order forward runs them."""
    steps = trace.kinds("conv", "BN", "ReLU")
    if steps == ["conv", "BN", "ReLU"] * 2:
        return
    ran = " => ".join(steps) or "nothing"
    if steps.count("ReLU") == 0:
        raise CheckFailed(
            f"ReLU missing: {name} runs {ran}, with no ReLU, so the block is linear. After each BatchNorm "
            "comes nn.ReLU(inplace=True)."
        )
    if steps.count("ReLU") == 1:
        raise CheckFailed(f"One ReLU missing: {name} runs {ran}. After each conv => BN comes a ReLU, two in all.")
    if steps.count("conv") != 2 or steps.count("BN") != 2:
        raise CheckFailed(f"{name}'s forward runs {ran}: both convs and both BatchNorms must run, once each.")
    raise CheckFailed(
        f"BN or ReLU in the wrong place: {name} runs {ran}. The block is conv => BN => ReLU, twice: "
        "BatchNorm normalises each conv's output, and the ReLU comes after it."
    )


@time_limited
def check_double_conv(cls):
    """Check the student's ``DoubleConv(in_channels, out_channels)``: (conv 3x3 => BN => ReLU) x 2."""
    __tracebackhide__ = True
    expect_class(cls, "DoubleConv", "check_double_conv")
    with seeded():
        for in_channels, out_channels, size in SETTINGS:
            name = f"DoubleConv({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            double_conv_layers(block, name, in_channels, out_channels)
            x = torch.randn(2, in_channels, size, size)
            trace = run_forward(f"{name}(x)", block, x.clone())
            extra_steps(trace, name)
            raised(trace, f"{name}(x) with x of shape {shape(x)}")
            double_conv_order(trace, name)
            output(trace, name, (2, out_channels, size, size))
            hint = "Check the order in forward: conv => BN => ReLU, twice."
            reference = blocks.DoubleConv(in_channels, out_channels)
            same_as_reference(trace, reference, name, [x], hint)
            gradients(block, name, [x], ["x"])
    note = names_note(block, reference, "DoubleConv")
    return "DoubleConv OK: (conv 3x3 => BN => ReLU) x 2, size kept, same output as the course's block." + note
