"""Checker for the student's ``Up(in_channels, out_channels)`` with ``forward(x, skip)``."""

import torch
from torch import nn

from .. import blocks
from ._compare import output, raised, reference_output, shape
from ._core import CheckFailed, call, close, expect_class, modules_of, run, seeded
from .double_conv import double_conv_layers, double_conv_order

SETTINGS = [(8, 4), (16, 6)]  # (in_channels, out_channels)


class _SwappedUp(blocks.Up):
    """The reference Up with the classic mistake, [x, skip]: to recognise it."""

    def forward(self, x, skip):
        return self.conv(torch.cat([self.upsampling(x), skip], dim=1))


def _up_sampling(block, name, in_channels):
    ups = modules_of(block, nn.ConvTranspose2d)
    if not ups:
        raise CheckFailed(
            f"{name} has no nn.ConvTranspose2d: this Up learns its up-sampling with "
            "nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)."
        )
    up = ups[0]
    kernel, stride, padding = up.kernel_size[0], up.stride[0], up.padding[0]
    if (kernel, stride, padding) != (2, 2, 0) or up.output_padding != (0, 0) or up.dilation != (1, 1):
        after = (4 - 1) * stride - 2 * padding + up.dilation[0] * (kernel - 1) + up.output_padding[0] + 1
        raise CheckFailed(
            f"Transposed conv with the wrong kernel/stride: in {name}, nn.ConvTranspose2d(..., kernel_size={kernel}, "
            f"stride={stride}, padding={padding}) turns 4x4 into {after}x{after}, so the size is not doubled "
            "(size = (in - 1) * stride - 2 * padding + kernel_size). Use kernel_size=2, stride=2: (4 - 1) * 2 + 2 = 8."
        )
    if up.in_channels != in_channels:
        raise CheckFailed(
            f"Wrong channels: the transposed conv of {name} takes {up.in_channels} channels, but x from below "
            f"has in_channels={in_channels}."
        )
    if up.out_channels != in_channels // 2:
        total = up.out_channels + in_channels // 2
        raise CheckFailed(
            f"Channels not halved before concatenation: in {name} the transposed conv gives {up.out_channels} "
            f"channels; with the skip's {in_channels // 2} that makes {total}, but the DoubleConv after it takes "
            f"in_channels={in_channels}. Use nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, "
            "stride=2)."
        )
    convs = modules_of(block, nn.Conv2d)
    if convs and convs[0].in_channels == in_channels // 2:
        raise CheckFailed(
            f"Skip not used: the DoubleConv in {name} takes {in_channels // 2} channels, only the up-sampled x. "
            f"Concatenated with the skip ({in_channels // 2} channels) there are {in_channels} = in_channels: "
            "use DoubleConv(in_channels, out_channels) after x = torch.cat([skip, x], dim=1)."
        )


def _concatenation(trace, name, skip):
    cats = [e for e in trace.events if e.kind == "cat"]
    if not cats:
        raise CheckFailed(
            f"Skip not used: {name}'s forward never calls torch.cat, so the encoder's map never reaches the "
            "decoder. After up-sampling x, concatenate: x = torch.cat([skip, x], dim=1)."
        )
    if "up-conv" not in trace.kinds():
        raise CheckFailed(
            f"{name}'s forward never runs its transposed conv: up-sample x first, x = self.upsampling(x), "
            "then concatenate it with the skip."
        )
    cat = cats[0]
    tensors = list(cat.args[0]) if cat.args else list(cat.kwargs.get("tensors", []))
    dim = cat.kwargs.get("dim", cat.args[1] if len(cat.args) > 1 else 0)
    if tensors and dim < 0:
        dim += tensors[0].dim()
    if dim != 1:
        along = {0: "the batch", 2: "the height", 3: "the width"}.get(dim, f"dim {dim}")
        raise CheckFailed(
            f"Concatenation on the wrong dim: {name} calls torch.cat(..., dim={dim}), which joins along {along}. "
            "In (B, C, H, W) the channels are dim 1: x = torch.cat([skip, x], dim=1)."
        )
    if len(tensors) == 2 and tensors[1] is skip and tensors[0] is not skip:
        raise CheckFailed(_ORDER.format(name=name))


_ORDER = (
    "Concatenation in the wrong order: {name} concatenates [x, skip]. The course's U-Net (and its trained "
    "weights) puts the skip first: x = torch.cat([skip, x], dim=1). The shapes agree either way, but the "
    "channels land in different places, so the weights no longer match."
)


def check_up(cls):
    """Check the student's ``Up(in_channels, out_channels)`` with ``forward(x, skip)``."""
    __tracebackhide__ = True
    expect_class(cls, "Up", "check_up")
    with seeded():
        for in_channels, out_channels in SETTINGS:
            name = f"Up({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _up_sampling(block, name, in_channels)
            double_conv_layers(block, f"the DoubleConv in {name}", in_channels, out_channels)
            x, skip = torch.randn(2, in_channels, 4, 4), torch.randn(2, in_channels // 2, 8, 8)
            trace = run(f"{name}(x, skip)", block, x.clone(), skip)
            _concatenation(trace, name, skip)
            raised(trace, f"{name}(x, skip) with x of shape {shape(x)} and skip of shape {shape(skip)}")
            double_conv_order(trace, f"the DoubleConv in {name}")
            output(trace, name, (2, out_channels, 8, 8))
            _up_same_as_reference(trace, block, name, in_channels, out_channels, x, skip)
    print("Up OK: up-conv doubles the size and halves the channels, cat [skip, x] on dim 1, DoubleConv; same output.")


def _up_same_as_reference(trace, block, name, in_channels, out_channels, x, skip):
    reference = blocks.Up(in_channels, out_channels)
    if close(trace.output, reference_output(trace, reference, name, [x, skip])):
        return
    swapped = _SwappedUp(in_channels, out_channels)
    swapped.load_state_dict(reference.state_dict())
    if close(trace.output, swapped(x.clone(), skip.clone())):
        raise CheckFailed(_ORDER.format(name=name))
    if close(call(f"{name}(x, skip)", block, x.clone(), torch.randn_like(skip)), trace.output):
        raise CheckFailed(
            f"Skip not used: {name} gives the same output whatever the skip is. Concatenate it with the "
            "up-sampled x: x = torch.cat([skip, x], dim=1)."
        )
    raise CheckFailed(
        f"{name} computes something different from the course's block on the same weights. Up is: "
        "x = up-conv(x); x = torch.cat([skip, x], dim=1); return the DoubleConv of x."
    )
