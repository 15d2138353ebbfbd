"""Checkers for the four blocks the student writes: DoubleConv, Down, Up and OutConv."""

import torch
from torch import nn

from .. import blocks
from ._core import CheckFailed, call, close, describe, error_text, expect_class, modules_of, run, seeded, share_weights

SETTINGS = [(3, 8), (8, 4)]  # (in_channels, out_channels): different, and the other way round
UP_SETTINGS = [(8, 4), (16, 6)]


def _pair(value):
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def _shape(tensor):
    return tuple(tensor.shape)


def _raised(trace, call_text):
    if trace.error is not None:
        raise CheckFailed(f"{call_text} raised {error_text(trace.error)}")


def _output(trace, name, expected):
    out = trace.output
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"{name}'s forward returned {type(out).__name__}, not a tensor: end forward with `return ...` "
            "of the block's output."
        )
    if _shape(out) != expected:
        raise CheckFailed(f"{name} gives an output of shape {_shape(out)}; expected {expected}.")


def _reference_output(trace, reference, name, inputs):
    """The reference's output on the same input, with the student's weights copied into it."""
    ref_trace = run("the course's block", reference, *[t.clone() for t in inputs])
    problem = share_weights(trace.layers(), ref_trace.layers())
    if problem:
        raise CheckFailed(f"{name} is built differently from the course's block: {problem}.")
    return reference(*[t.clone() for t in inputs])


def _same_as_reference(trace, reference, name, inputs, hint):
    """The student's block and the reference, same weights and input: same output."""
    if not close(trace.output, _reference_output(trace, reference, name, inputs)):
        raise CheckFailed(f"{name} computes something different from the course's block on the same weights. {hint}")


# DoubleConv ---------------------------------------------------------------------------------


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


def _double_conv_layers(block, name, in_channels, out_channels):
    """What can be seen without running: two 3x3 same convs without bias, two BatchNorms, channels."""
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


def _double_conv_order(trace, name):
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


def check_double_conv(cls):
    """Check the student's ``DoubleConv(in_channels, out_channels)``: (conv 3x3 => BN => ReLU) x 2."""
    __tracebackhide__ = True
    expect_class(cls, "DoubleConv", "check_double_conv")
    with seeded():
        for in_channels, out_channels in SETTINGS:
            name = f"DoubleConv({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _double_conv_layers(block, name, in_channels, out_channels)
            x = torch.randn(2, in_channels, 12, 12)
            trace = run(f"{name}(x)", block, x.clone())
            _raised(trace, f"{name}(x) with x of shape {_shape(x)}")
            _double_conv_order(trace, name)
            _output(trace, name, (2, out_channels, 12, 12))
            hint = "Check the order in forward: conv => BN => ReLU, twice."
            _same_as_reference(trace, blocks.DoubleConv(in_channels, out_channels), name, [x], hint)
    print("DoubleConv OK: (conv 3x3 => BN => ReLU) x 2, size kept, same output as the course's block.")


# Down ---------------------------------------------------------------------------------------


def _pooling(block, name):
    if modules_of(block, nn.AvgPool2d):
        raise CheckFailed(f"{name} uses average pooling: U-Net's Down takes the maximum, nn.MaxPool2d(kernel_size=2).")
    for pool in modules_of(block, nn.MaxPool2d):
        kernel, stride, padding = _pair(pool.kernel_size), _pair(pool.stride or pool.kernel_size), _pair(pool.padding)
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
            _double_conv_layers(block, f"the DoubleConv in {name}", in_channels, out_channels)
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
            _raised(trace, f"{name}(x) with x of shape {_shape(x)}")
            _double_conv_order(trace, f"the DoubleConv in {name}")
            _output(trace, name, (2, out_channels, 8, 8))
            hint = "Down is max-pool 2x2, then DoubleConv: nn.Sequential(nn.MaxPool2d(2), DoubleConv(...))."
            _same_as_reference(trace, blocks.Down(in_channels, out_channels), name, [x], hint)
    print("Down OK: max-pool 2x2 halves the size, then DoubleConv; same output as the course's block.")


# Up -----------------------------------------------------------------------------------------


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
        for in_channels, out_channels in UP_SETTINGS:
            name = f"Up({in_channels}, {out_channels})"
            block = call(name, cls, in_channels, out_channels)
            _up_sampling(block, name, in_channels)
            _double_conv_layers(block, f"the DoubleConv in {name}", in_channels, out_channels)
            x, skip = torch.randn(2, in_channels, 4, 4), torch.randn(2, in_channels // 2, 8, 8)
            trace = run(f"{name}(x, skip)", block, x.clone(), skip)
            _concatenation(trace, name, skip)
            _raised(trace, f"{name}(x, skip) with x of shape {_shape(x)} and skip of shape {_shape(skip)}")
            _double_conv_order(trace, f"the DoubleConv in {name}")
            _output(trace, name, (2, out_channels, 8, 8))
            _up_same_as_reference(trace, block, name, in_channels, out_channels, x, skip)
    print("Up OK: up-conv doubles the size and halves the channels, cat [skip, x] on dim 1, DoubleConv; same output.")


def _up_same_as_reference(trace, block, name, in_channels, out_channels, x, skip):
    reference = blocks.Up(in_channels, out_channels)
    if close(trace.output, _reference_output(trace, reference, name, [x, skip])):
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


# OutConv ------------------------------------------------------------------------------------


def _squashing(name, found):
    return CheckFailed(
        f"A {found} inside {name}: the model must return logits (any real number). The loss "
        "(BCEWithLogitsLoss) and the metrics apply the sigmoid themselves; remove it from the block."
    )


def check_out_conv(cls):
    """Check the student's ``OutConv(in_channels, num_classes)``: a 1x1 conv to one logit per class."""
    __tracebackhide__ = True
    expect_class(cls, "OutConv", "check_out_conv")
    with seeded():
        for in_channels, num_classes in [(8, 1), (6, 3)]:
            name = f"OutConv({in_channels}, {num_classes})"
            block = call(name, cls, in_channels, num_classes)
            squash = modules_of(block, (nn.Sigmoid, nn.Softmax, nn.LogSoftmax))
            if squash:
                raise _squashing(name, type(squash[0]).__name__)
            _out_conv_layer(block, name, in_channels, num_classes)
            x = torch.randn(2, in_channels, 6, 6)
            trace = run(f"{name}(x)", block, x.clone())
            found = next((k for k in trace.kinds("sigmoid", "softmax")), None)
            if found:
                raise _squashing(name, found)
            _raised(trace, f"{name}(x) with x of shape {_shape(x)}")
            _output(trace, name, (2, num_classes, 6, 6))
            _same_as_reference(trace, blocks.OutConv(in_channels, num_classes), name, [x], "OutConv is the conv alone.")
    print("OutConv OK: a 1x1 conv gives one logit per class and pixel; same output as the course's block.")


def _out_conv_layer(block, name, in_channels, num_classes):
    convs = modules_of(block, nn.Conv2d)
    if len(convs) != 1:
        raise CheckFailed(f"{name} has {len(convs)} nn.Conv2d layers; OutConv is one 1x1 conv.")
    conv = convs[0]
    if conv.kernel_size != (1, 1):
        k = conv.kernel_size[0]
        raise CheckFailed(
            f"1x1 conv replaced by {k}x{k}: {name} has {describe(conv)}. OutConv turns each pixel's "
            f"{in_channels} features into {num_classes} logit(s) on its own, looking at no neighbours: "
            "nn.Conv2d(in_channels, num_classes, kernel_size=1)."
        )
    if conv.in_channels != in_channels or conv.out_channels != num_classes:
        raise CheckFailed(
            f"Wrong channels: {name} has a conv {conv.in_channels} -> {conv.out_channels} channels; it should "
            f"take in_channels={in_channels} and give one logit per class, num_classes={num_classes}."
        )
    if conv.bias is None:
        raise CheckFailed(
            f"{name}'s conv has bias=False: no BatchNorm follows it, so it keeps its bias (the default, bias=True)."
        )
