"""Checker for the student's ``Down(in_channels, out_channels)``: max-pool 2x2 => DoubleConv."""

import torch
from torch import nn

from .. import blocks
from ._compare import output, pair, raised, same_as_reference, shape
from ._core import CheckFailed, call, expect_class, modules_of, run, seeded
from .double_conv import SETTINGS, double_conv_layers, double_conv_order


def _pooling(block, name):
    if modules_of(block, nn.AvgPool2d):
        raise CheckFailed(f"{name} uses average pooling: U-Net's Down takes the maximum, nn.MaxPool2d(kernel_size=2).")
    for pool in modules_of(block, nn.MaxPool2d):
        kernel, stride, padding = pair(pool.kernel_size), pair(pool.stride or pool.kernel_size), pair(pool.padding)
        if padding != (0, 0):
            slip = " This is the source text's slip: it writes padding=2 where it means stride 2."
            slip = slip if padding[0] == 2 else ""
            raise CheckFailed(
                f"{name} has nn.MaxPool2d(..., padding={padding[0]}).{slip} Max pooling halves the size with "
                "kernel_size=2, stride=2 and no padding: nn.MaxPool2d(kernel_size=2) (the stride defaults to the "
                "kernel size)."
            )
        if kernel != (2, 2):
            raise CheckFailed(f"{name} pools with kernel_size={kernel[0]}: use nn.MaxPool2d(kernel_size=2), stride 2.")
        if stride != (2, 2):
            after = (16 - 2) // stride[0] + 1
            raise CheckFailed(
                f"Pooling with the wrong stride: in {name}, nn.MaxPool2d(kernel_size=2, stride={stride[0]}) turns "
                f"16x16 into {after}x{after}, not 8x8. Use stride=2 (or leave it out: it defaults to kernel_size=2)."
            )


def check_down(cls):
    """Check the student's ``Down(in_channels, out_channels)``: max-pool 2x2 => DoubleConv."""
    __tracebackhide__ = True
    expect_class(cls, "Down", "check_down")
    with seeded():
        for in_channels, out_channels in SETTINGS:
            name = f"Down({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _pooling(block, name)
            double_conv_layers(block, f"the DoubleConv in {name}", in_channels, out_channels)
            x = torch.randn(2, in_channels, 16, 16)
            trace = run(f"{name}(x)", block, x.clone())
            steps = trace.kinds("pool", "conv")
            if "pool" not in steps:
                raise CheckFailed(
                    f"No pooling: {name} never max-pools, so the size is not halved. Down is "
                    "nn.MaxPool2d(kernel_size=2) and then DoubleConv(in_channels, out_channels)."
                )
            if steps[0] != "pool":
                raise CheckFailed(
                    f"Pooling after the DoubleConv: {name} runs {' => '.join(steps)}. Down pools first (halving "
                    "the size, so the convs work on the smaller map), then runs the DoubleConv."
                )
            raised(trace, f"{name}(x) with x of shape {shape(x)}")
            double_conv_order(trace, f"the DoubleConv in {name}")
            output(trace, name, (2, out_channels, 8, 8))
            hint = "Down is max-pool 2x2, then DoubleConv: nn.Sequential(nn.MaxPool2d(2), DoubleConv(...))."
            same_as_reference(trace, blocks.Down(in_channels, out_channels), name, [x], hint)
    print("Down OK: max-pool 2x2 halves the size, then DoubleConv; same output as the course's block.")
