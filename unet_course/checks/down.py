"""Checker for the student's ``Down(in_channels, out_channels)``: max-pool 2x2 => DoubleConv."""

import torch
from torch import nn

from .. import blocks
from ..arithmetic import pool_output_size
from ..i18n import tr
from ._compare import output, pair, raised, same_as_reference
from ._core import CheckFailed, call, describe_layer, expect_class, modules_of, run_forward, seeded, time_limited
from ._gradients import gradients
from ._weights import names_note
from .double_conv import double_conv_layers, double_conv_order, extra_steps

SETTINGS = [(4, 4, 16), (3, 8, 16), (8, 4, 15)]  # (in_channels, out_channels, size): 15 is odd: 15 -> 7


def _channels(block, name, in_channels, out_channels):
    """Down's DoubleConv takes the pooled map's channels and gives out_channels: said as Down's fix."""
    convs = modules_of(block, nn.Conv2d)
    if len(convs) == 2 and (convs[0].in_channels, convs[1].out_channels) != (in_channels, out_channels):
        raise CheckFailed(
            tr(
                "Wrong channels: the DoubleConv in {name} goes from {got_in} to {got_out} channels, but the "
                "pooled map has {in_channels} and Down must give {out_channels}: after the max-pool, write "
                "DoubleConv(in_channels, out_channels).",
                name=name,
                got_in=convs[0].in_channels,
                got_out=convs[1].out_channels,
                in_channels=in_channels,
                out_channels=out_channels,
            )
        )


def _pooling(block, name):
    if modules_of(block, nn.AvgPool2d):
        raise CheckFailed(
            tr("{name} uses average pooling: U-Net's Down takes the maximum, nn.MaxPool2d(kernel_size=2).", name=name)
        )
    if modules_of(block, nn.Upsample):
        raise CheckFailed(
            tr(
                "{name} resizes with {layer} (interpolation): U-Net's Down takes the maximum of each 2x2 window, "
                "nn.MaxPool2d(kernel_size=2).",
                name=name,
                layer=describe_layer(modules_of(block, nn.Upsample)[0]),
            )
        )
    for pool in modules_of(block, nn.MaxPool2d):
        if pool.ceil_mode or pool.return_indices or pair(pool.dilation) != (1, 1):
            setting = (
                "ceil_mode=True"
                if pool.ceil_mode
                else "return_indices=True"
                if pool.return_indices
                else (f"dilation={pair(pool.dilation)[0]}")
            )
            effect = tr(" (an odd 15x15 map becomes 8x8, not 7x7 as in the text)") if pool.ceil_mode else ""
            raise CheckFailed(
                tr(
                    "{name} has nn.MaxPool2d(..., {setting}){effect}: the source text keeps the defaults. "
                    "Use nn.MaxPool2d(kernel_size=2).",
                    name=name,
                    setting=setting,
                    effect=effect,
                )
            )
        kernel, stride, padding = pair(pool.kernel_size), pair(pool.stride or pool.kernel_size), pair(pool.padding)
        if padding != (0, 0):
            slip = tr(" This is the source text's slip: it writes padding=2 where it means stride 2.")
            slip = slip if padding[0] == 2 else ""
            raise CheckFailed(
                tr(
                    "{name} has nn.MaxPool2d(..., padding={padding}).{slip} Max pooling halves the size with "
                    "kernel_size=2, stride=2 and no padding: nn.MaxPool2d(kernel_size=2) (the stride defaults to "
                    "the kernel size).",
                    name=name,
                    padding=padding[0],
                    slip=slip,
                )
            )
        if kernel != (2, 2):
            raise CheckFailed(
                tr(
                    "{name} pools with kernel_size={kernel}: use nn.MaxPool2d(kernel_size=2), stride 2.",
                    name=name,
                    kernel=kernel[0],
                )
            )
        if stride != (2, 2):
            after = pool_output_size(16, 2, stride[0])
            raise CheckFailed(
                tr(
                    "Pooling with the wrong stride: in {name}, nn.MaxPool2d(kernel_size=2, stride={stride}) turns "
                    "16x16 into {after}x{after}, not 8x8. Use stride=2 (or leave it out: it defaults to "
                    "kernel_size=2).",
                    name=name,
                    stride=stride[0],
                    after=after,
                )
            )


def _steps(trace, name):
    steps = trace.kinds("pool", "avg-pool", "interpolate", "conv")
    if "avg-pool" in steps or "interpolate" in steps:
        used = "average pooling (F.avg_pool2d)" if "avg-pool" in steps else "interpolation (F.interpolate)"
        raise CheckFailed(
            tr(
                "{name} shrinks the map with {used}: U-Net's Down max-pools, nn.MaxPool2d(kernel_size=2).",
                name=name,
                used=used,  # a word of the catalog
            )
        )
    if "pool" not in steps:
        raise CheckFailed(
            tr(
                "No pooling: {name} never max-pools, so the size is not halved. Down is "
                "nn.MaxPool2d(kernel_size=2) and then DoubleConv(in_channels, out_channels).",
                name=name,
            )
        )
    if steps[0] != "pool":
        raise CheckFailed(
            tr(
                "Pooling after the DoubleConv: {name} runs {ran}. Down pools first (halving the size, so the "
                "convs work on the smaller map), then runs the DoubleConv.",
                name=name,
                ran=" => ".join(steps),
            )
        )


@time_limited
def check_down(cls):
    """Check the student's ``Down(in_channels, out_channels)``: max-pool 2x2 => DoubleConv."""
    __tracebackhide__ = True
    expect_class(cls, "Down", "check_down")
    with seeded():
        for in_channels, out_channels, size in SETTINGS:
            name = f"Down({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _pooling(block, name)
            _channels(block, name, in_channels, out_channels)
            inner = tr("the DoubleConv in {name}", name=name)
            double_conv_layers(block, inner, in_channels, out_channels)
            x = torch.randn(2, in_channels, size, size)
            trace = run_forward(f"{name}(x)", block, x.clone())
            _steps(trace, name)
            extra_steps(trace, name)
            raised(trace, name, x)
            double_conv_order(trace, inner)
            output(trace, name, (2, out_channels, size // 2, size // 2))
            hint = tr("Down is max-pool 2x2, then DoubleConv: nn.Sequential(nn.MaxPool2d(2), DoubleConv(...)).")
            reference = blocks.Down(in_channels, out_channels)
            same_as_reference(trace, reference, name, [x], hint)
            gradients(block, name, [x], ["x"])
    note = names_note(block, reference, "Down")
    return tr("Down OK: max-pool 2x2 halves the size, then DoubleConv; same output as the course's block.") + note
