"""Checker for the student's ``DoubleConv(in_channels, out_channels)``: (conv 3x3 => BN => ReLU) x 2.

The layer checks are shared with Down and Up, which hold a DoubleConv."""

import torch
from torch import nn

from .. import blocks
from ..i18n import tr
from ._compare import output, raised, same_as_reference
from ._core import CheckFailed, call, describe_layer, expect_class, modules_of, run_forward, seeded, time_limited
from ._gradients import gradients
from ._weights import names_note

# (in_channels, out_channels, size): equal (a residual runs there), more, fewer; even and odd sizes
SETTINGS = [(4, 4, 12), (3, 8, 12), (8, 4, 11)]
# layers the text does not use, with what it uses instead (each a word of the catalog, said in Chinese too)
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
                tr(
                    "The {which} conv of {name} has kernel_size={kernel}: DoubleConv uses 3x3 convolutions "
                    "(kernel_size=3, padding=1).",
                    which=which,
                    name=name,
                    kernel=conv.kernel_size[0],
                )
            )
        if conv.stride != (1, 1):
            raise CheckFailed(
                tr(
                    "The {which} conv of {name} has stride={stride}: use the default stride 1.",
                    which=which,
                    name=name,
                    stride=conv.stride[0],
                )
            )
        pad = 0 if conv.padding == "valid" else 1 if conv.padding == "same" else conv.padding[0]
        if pad != 1:
            after = 12 + 4 * (pad - 1)
            label = "Missing padding" if pad == 0 else "Wrong padding"
            how = {"label": label, "which": which, "name": name, "pad": pad, "change": abs(2 * pad - 2), "after": after}
            if pad == 0:
                message = tr(
                    "{label}: the {which} conv of {name} has padding={pad}, so a 3x3 conv shrinks the size by "
                    "{change} pixels each time (12x12 -> {after}x{after} after both convs). DoubleConv keeps the "
                    "size: use padding=1.",
                    **how,
                )
            else:
                message = tr(
                    "{label}: the {which} conv of {name} has padding={pad}, so a 3x3 conv grows the size by "
                    "{change} pixels each time (12x12 -> {after}x{after} after both convs). DoubleConv keeps the "
                    "size: use padding=1.",
                    **how,
                )
            raise CheckFailed(message)


def _conv_channels(convs, name, in_channels, out_channels):
    first, second = convs
    if first.in_channels != in_channels:
        raise CheckFailed(
            tr(
                "Wrong channels: the first conv of {name} takes {got} channels, but the input has "
                "in_channels={in_channels}. The first conv is nn.Conv2d(in_channels, out_channels, ...).",
                name=name,
                got=first.in_channels,
                in_channels=in_channels,
            )
        )
    if first.out_channels != out_channels:
        raise CheckFailed(
            tr(
                "Wrong channels: the first conv of {name} gives {got} channels; in DoubleConv both convs give "
                "out_channels={out_channels}: nn.Conv2d(in_channels, out_channels, ...).",
                name=name,
                got=first.out_channels,
                out_channels=out_channels,
            )
        )
    if second.in_channels != first.out_channels or second.out_channels != out_channels:
        raise CheckFailed(
            tr(
                "Wrong channels: the second conv of {name} is {got_in} -> {got_out} channels, after a first conv "
                "that gives {first}. The second conv is nn.Conv2d(out_channels, out_channels, ...).",
                name=name,
                got_in=second.in_channels,
                got_out=second.out_channels,
                first=first.out_channels,
            )
        )


def _variants(block, name):
    """A layer the source text does not use, named as the student wrote it."""
    for types, instead in VARIANTS:
        found = modules_of(block, types)
        if found:
            raise CheckFailed(
                tr(
                    "{name} uses {layer}, which the source text's DoubleConv does not: it uses {instead}.",
                    name=name,
                    layer=describe_layer(found[0]),
                    instead=instead,
                )
            )
    for norm in modules_of(block, nn.BatchNorm2d):
        for setting, default in BN_DEFAULTS.items():
            if getattr(norm, setting) != default:
                raise CheckFailed(
                    tr(
                        "{name} has nn.BatchNorm2d(..., {setting}={value}): the source text keeps BatchNorm's "
                        "defaults ({setting}={default}). Write nn.BatchNorm2d(out_channels).",
                        name=name,
                        setting=setting,
                        value=getattr(norm, setting),
                        default=default,
                    )
                )


def _batch_norms(block, convs, name, out_channels):
    norms = modules_of(block, nn.BatchNorm2d)
    if not norms:
        raise CheckFailed(
            tr(
                "BatchNorm missing: {name} has no nn.BatchNorm2d. Each conv is followed by "
                "nn.BatchNorm2d(out_channels), then the ReLU.",
                name=name,
            )
        )
    if len(norms) != 2:
        raise CheckFailed(
            tr(
                "{name} has {count} nn.BatchNorm2d layer(s): each of the two convs needs its own "
                "nn.BatchNorm2d(out_channels) (they learn different statistics).",
                name=name,
                count=len(norms),
            )
        )
    order = list(block.modules())
    if order.index(norms[0]) < order.index(convs[0]):
        raise CheckFailed(
            tr(
                "BN or ReLU in the wrong place: {name} puts a BatchNorm2d before its first conv. The block is "
                "conv => BN => ReLU, twice: BatchNorm normalises each conv's output.",
                name=name,
            )
        )
    for norm in norms:
        if norm.num_features != out_channels:
            raise CheckFailed(
                tr(
                    "Wrong channels: {name} has nn.BatchNorm2d({features}) but its convs give {out_channels} "
                    "channels: use nn.BatchNorm2d(out_channels).",
                    name=name,
                    features=norm.num_features,
                    out_channels=out_channels,
                )
            )
    for which, conv in zip(("first", "second"), convs):
        if conv.bias is not None:
            raise CheckFailed(
                tr(
                    "Bias left on before BatchNorm: the {which} conv of {name} has bias=True. BatchNorm subtracts "
                    "each channel's mean right after, which cancels any bias: its {count} numbers are wasted "
                    "parameters. Pass bias=False to both convs.",
                    which=which,
                    name=name,
                    count=conv.out_channels,
                )
            )


def double_conv_layers(block, name, in_channels, out_channels):
    """What can be seen without running: two 3x3 same convs without bias, two BatchNorms, channels."""
    _variants(block, name)
    convs = modules_of(block, nn.Conv2d)
    if len(convs) == 1:
        raise CheckFailed(
            tr(
                "One conv instead of two: {name} has a single nn.Conv2d. The block is (conv 3x3 => BN => ReLU) "
                "*twice*: add nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False), with "
                "its own BatchNorm2d and ReLU, after the first.",
                name=name,
            )
        )
    if len(convs) != 2:
        raise CheckFailed(
            tr(
                "{name} has {count} nn.Conv2d layers; DoubleConv has exactly two: (conv 3x3 => BN => ReLU) x 2.",
                name=name,
                count=len(convs),
            )
        )
    _conv_shape(convs, name)
    _conv_channels(convs, name, in_channels, out_channels)
    _batch_norms(block, convs, name, out_channels)


def extra_steps(trace, name):
    """Things forward does that the text's block does not: a residual sum, dropout, another norm."""
    kinds = trace.kinds()
    if "add" in kinds:
        raise CheckFailed(
            tr(
                "{name} adds a tensor to its output (a residual connection, `... + x`): the source text's "
                "DoubleConv has none, it is just (conv => BN => ReLU) x 2. Return the second ReLU's output as it is.",
                name=name,
            )
        )
    for kind in ("dropout", "InstanceNorm", "GroupNorm", "LayerNorm", "interpolate"):
        if kind in kinds:
            raise CheckFailed(
                tr(
                    "{name}'s forward calls {kind} (a torch.nn.functional call): the source text's DoubleConv is "
                    "conv => BN => ReLU, twice, and nothing else.",
                    name=name,
                    kind=kind,
                )
            )


def double_conv_order(trace, name):
    """conv => BN => ReLU, twice, in the order forward runs them."""
    steps = trace.kinds("conv", "BN", "ReLU")
    if steps == ["conv", "BN", "ReLU"] * 2:
        return
    ran = " => ".join(steps) or tr("nothing")
    if steps.count("ReLU") == 0:
        raise CheckFailed(
            tr(
                "ReLU missing: {name} runs {ran}, with no ReLU, so the block is linear. After each BatchNorm "
                "comes nn.ReLU(inplace=True).",
                name=name,
                ran=ran,
            )
        )
    if steps.count("ReLU") == 1:
        raise CheckFailed(
            tr(
                "One ReLU missing: {name} runs {ran}. After each conv => BN comes a ReLU, two in all.",
                name=name,
                ran=ran,
            )
        )
    if steps.count("conv") != 2 or steps.count("BN") != 2:
        raise CheckFailed(
            tr("{name}'s forward runs {ran}: both convs and both BatchNorms must run, once each.", name=name, ran=ran)
        )
    raise CheckFailed(
        tr(
            "BN or ReLU in the wrong place: {name} runs {ran}. The block is conv => BN => ReLU, twice: "
            "BatchNorm normalises each conv's output, and the ReLU comes after it.",
            name=name,
            ran=ran,
        )
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
            raised(trace, name, x)
            double_conv_order(trace, name)
            output(trace, name, (2, out_channels, size, size))
            hint = tr("Check the order in forward: conv => BN => ReLU, twice.")
            reference = blocks.DoubleConv(in_channels, out_channels)
            same_as_reference(trace, reference, name, [x], hint)
            gradients(block, name, [x], ["x"])
    note = names_note(block, reference, "DoubleConv")
    return tr("DoubleConv OK: (conv 3x3 => BN => ReLU) x 2, size kept, same output as the course's block.") + note
