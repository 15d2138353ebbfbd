"""Checker for the student's ``Up(in_channels, out_channels)`` with ``forward(x, skip)``."""

import inspect

import torch
from torch import nn

from .. import blocks
from ..arithmetic import conv_transpose_formula
from ..i18n import tr
from ._compare import output, raised, reference_output
from ._core import CheckFailed, call, close, describe_layer, expect_class, modules_of, run_forward, seeded, time_limited
from ._gradients import gradients
from ._weights import names_note
from .double_conv import double_conv_layers, double_conv_order, extra_steps

SETTINGS = [(8, 4, 4), (16, 6, 5), (8, 8, 3)]  # (in_channels, out_channels, size of x): even, odd, equal in/out


class _SwappedUp(blocks.Up):
    """The reference Up with the classic mistake, [x, skip]: to recognise it."""

    def forward(self, x, skip):
        return self.conv(torch.cat([self.upsampling(x), skip], dim=1))


def _doubles(kernel, stride, padding, output_padding, dilation):
    """Does the transposed conv give 2 * in for every in? The formula is linear in the size: two sizes decide it."""
    settings = (kernel, stride, padding, output_padding, dilation)
    return all(conv_transpose_formula(size, *settings) == 2 * size for size in (1, 4))


def _up_conv_settings(up, name):
    kernel, stride, padding = up.kernel_size[0], up.stride[0], up.padding[0]
    output_padding, dilation = up.output_padding[0], up.dilation[0]
    if (kernel, stride, padding, output_padding, dilation) == (2, 2, 0, 0, 1):
        return
    written = (
        f"kernel_size={kernel}, stride={stride}, padding={padding}"
        + (f", output_padding={output_padding}" if output_padding else "")
        + (f", dilation={dilation}" if dilation != 1 else "")
    )
    if _doubles(kernel, stride, padding, output_padding, dilation):
        raise CheckFailed(
            tr(
                "In {name}, nn.ConvTranspose2d(..., {written}) doubles the size, but not the text's kernel 2 / "
                "stride 2: as notebook 03 shows, several settings double it, yet the course's Up (and the trained "
                "weights the later notebooks load) use kernel_size=2, stride=2, padding=0. Use those.",
                name=name,
                written=written,
            )
        )
    after = conv_transpose_formula(4, kernel, stride, padding, output_padding, dilation)
    raise CheckFailed(
        tr(
            "Transposed conv with the wrong kernel/stride: in {name}, nn.ConvTranspose2d(..., {written}) turns 4x4 "
            "into {after}x{after}, so the size is not doubled (size = (in - 1) * stride - 2 * padding + "
            "dilation * (kernel_size - 1) + output_padding + 1). Use kernel_size=2, stride=2: (4 - 1) * 2 + 2 = 8.",
            name=name,
            written=written,
            after=after,
        )
    )


def _up_sampling(block, name, in_channels):
    ups = modules_of(block, nn.ConvTranspose2d)
    if not ups:
        interpolating = modules_of(block, nn.Upsample)
        if interpolating:
            used = tr("interpolation ({layer}), which learns nothing, ", layer=describe_layer(interpolating[0]))
        else:
            used = tr("something else ")
        raise CheckFailed(
            tr(
                "{name} has no nn.ConvTranspose2d: it up-samples with {used}where the source text learns its "
                "up-sampling with nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2).",
                name=name,
                used=used,
            )
        )
    up = ups[0]
    _up_conv_settings(up, name)
    if up.in_channels != in_channels:
        raise CheckFailed(
            tr(
                "Wrong channels: the transposed conv of {name} takes {got} channels, but x from below has "
                "in_channels={in_channels}.",
                name=name,
                got=up.in_channels,
                in_channels=in_channels,
            )
        )
    if up.out_channels != in_channels // 2:
        raise CheckFailed(
            tr(
                "Channels not halved before concatenation: in {name} the transposed conv gives {got} channels; "
                "with the skip's {half} that makes {total}, but the DoubleConv after it takes "
                "in_channels={in_channels}. Use nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, "
                "stride=2).",
                name=name,
                got=up.out_channels,
                half=in_channels // 2,
                total=up.out_channels + in_channels // 2,
                in_channels=in_channels,
            )
        )


def _skip_channels(block, name, in_channels):
    convs = modules_of(block, nn.Conv2d)
    if convs and convs[0].in_channels == in_channels // 2:
        raise CheckFailed(
            tr(
                "Skip not in the DoubleConv's channels: the DoubleConv in {name} takes {half} channels, only the "
                "up-sampled x. Concatenated with the skip ({half} channels) there are {in_channels} = in_channels: "
                "use DoubleConv(in_channels, out_channels) after x = torch.cat([skip, x], dim=1).",
                name=name,
                half=in_channels // 2,
                in_channels=in_channels,
            )
        )


def _added(trace, name):
    if "add" in trace.kinds() and "cat" not in trace.kinds():
        raise CheckFailed(
            tr(
                "Skip added, not concatenated: {name} adds the skip to x (`skip + x`). The source text's prose says "
                'the two are "added", but its code (and U-Net) concatenates them on the channels: '
                "x = torch.cat([skip, x], dim=1), which is why the DoubleConv takes in_channels.",
                name=name,
            )
        )


def _signature(cls):
    names = [p for p in inspect.signature(cls.forward).parameters if p != "self"]
    if names[:2] == ["skip", "x"]:
        raise CheckFailed(
            tr(
                "Swapped arguments: your Up defines forward(self, skip, x), but the U-Net calls up(x, skip), the map "
                "from below first and the encoder's skip second (x = self.up1(x5, x4)). Define "
                "forward(self, x, skip)."
            )
        )


def _concatenation(trace, name, skip):
    cats = [e for e in trace.events if e.kind == "cat"]
    if not cats:
        raise CheckFailed(
            tr(
                "Skip not used: {name}'s forward never calls torch.cat, so the encoder's map never reaches the "
                "decoder. After up-sampling x, concatenate: x = torch.cat([skip, x], dim=1).",
                name=name,
            )
        )
    if "up-conv" not in trace.kinds():
        raise CheckFailed(
            tr(
                "{name}'s forward never runs its transposed conv: up-sample x first, x = self.upsampling(x), "
                "then concatenate it with the skip.",
                name=name,
            )
        )
    cat = cats[0]
    tensors = list(cat.args[0]) if cat.args else list(cat.kwargs.get("tensors", []))
    dim = cat.kwargs.get("dim", cat.args[1] if len(cat.args) > 1 else 0)
    if tensors and dim < 0:
        dim += tensors[0].dim()
    if dim != 1:
        raise CheckFailed(_wrong_dim(name, dim))
    if len(tensors) == 2 and tensors[1] is skip and tensors[0] is not skip:
        raise CheckFailed(_order(name))


def _wrong_dim(name, dim):
    along = {0: "the batch", 2: "the height", 3: "the width"}.get(dim)  # words of the catalog
    if along is None:
        return tr(
            "Concatenation on the wrong dim: {name} calls torch.cat(..., dim={dim}), which joins along dim {dim}. "
            "In (B, C, H, W) the channels are dim 1: x = torch.cat([skip, x], dim=1).",
            name=name,
            dim=dim,
        )
    return tr(
        "Concatenation on the wrong dim: {name} calls torch.cat(..., dim={dim}), which joins along {along}. "
        "In (B, C, H, W) the channels are dim 1: x = torch.cat([skip, x], dim=1).",
        name=name,
        dim=dim,
        along=along,
    )


def _order(name):
    return tr(
        "Concatenation in the wrong order: {name} concatenates [x, skip]. The course's U-Net (and its trained "
        "weights) puts the skip first: x = torch.cat([skip, x], dim=1). The shapes agree either way, but the "
        "channels land in different places, so the weights no longer match.",
        name=name,
    )


@time_limited
def check_up(cls):
    """Check the student's ``Up(in_channels, out_channels)`` with ``forward(x, skip)``."""
    __tracebackhide__ = True
    expect_class(cls, "Up", "check_up")
    _signature(cls)
    with seeded():
        for in_channels, out_channels, size in SETTINGS:
            name = f"Up({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _up_sampling(block, name, in_channels)
            x, skip = torch.randn(2, in_channels, size, size), torch.randn(2, in_channels // 2, 2 * size, 2 * size)
            trace = run_forward(f"{name}(x, skip)", block, x.clone(), skip)
            _swapped_call(trace, block, name, in_channels, out_channels, x, skip)
            _added(trace, name)
            _concatenation(trace, name, skip)
            _skip_channels(block, name, in_channels)
            inner = tr("the DoubleConv in {name}", name=name)
            double_conv_layers(block, inner, in_channels, out_channels)
            raised(trace, name, x, skip)
            extra_steps(trace, inner)
            double_conv_order(trace, inner)
            output(trace, name, (2, out_channels, 2 * size, 2 * size))
            reference = blocks.Up(in_channels, out_channels)
            _up_same_as_reference(trace, block, reference, name, x, skip)
            gradients(block, name, [x, skip], ["x", "skip"])
    note = names_note(block, reference, "Up")
    return (
        tr("Up OK: up-conv doubles the size and halves the channels, cat [skip, x] on dim 1, DoubleConv; same output.")
        + note
    )


def _swapped_call(trace, block, name, in_channels, out_channels, x, skip):
    """A forward whose parameters are (skip, x) under other names: it fails on (x, skip) and works swapped."""
    if trace.error is None:
        return
    swapped = run_forward(f"{name}(skip, x)", block, skip.clone(), x.clone())
    if swapped.error is None and isinstance(swapped.output, torch.Tensor):
        raise CheckFailed(
            tr(
                "Swapped arguments: {name} works when called as up(skip, x) but fails as up(x, skip), which is how "
                "the U-Net calls it (x = self.up1(x5, x4)). Define forward(self, x, skip): the map from below first.",
                name=name,
            )
        )


def _up_same_as_reference(trace, block, reference, name, x, skip):
    if close(trace.output, reference_output(trace, reference, name, [x, skip])):
        return
    swapped = _SwappedUp(*_channels(reference))
    swapped.load_state_dict(reference.state_dict())
    if close(trace.output, swapped(x.clone(), skip.clone())):
        raise CheckFailed(_order(name))
    if close(call(f"{name}(x, skip)", block, x.clone(), torch.randn_like(skip)), trace.output):
        raise CheckFailed(
            tr(
                "Skip not used: {name} gives the same output whatever the skip is. Concatenate it with the "
                "up-sampled x: x = torch.cat([skip, x], dim=1).",
                name=name,
            )
        )
    raise CheckFailed(
        tr(
            "{name} computes something different from the course's block on the same weights. Up is: "
            "x = up-conv(x); x = torch.cat([skip, x], dim=1); return the DoubleConv of x.",
            name=name,
        )
    )


def _channels(reference):
    first = modules_of(reference.conv, nn.Conv2d)
    return reference.upsampling.in_channels, first[-1].out_channels
