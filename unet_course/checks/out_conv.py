"""Checker for the student's ``OutConv(in_channels, num_classes)``: a 1x1 conv, logits out."""

import torch
from torch import nn

from .. import blocks
from ..i18n import tr
from ._compare import output, raised, same_as_reference
from ._core import CheckFailed, call, describe_layer, expect_class, modules_of, run_forward, seeded, time_limited
from ._gradients import gradients
from ._weights import names_note


def squashing(name, found):
    return CheckFailed(
        tr(
            "A {found} inside {name}: the model must return logits (any real number). The loss "
            "(BCEWithLogitsLoss) and the metrics apply the sigmoid themselves; remove it from the block.",
            found=found,
            name=name,
        )
    )


@time_limited
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
                raise squashing(name, type(squash[0]).__name__)
            _out_conv_layer(block, name, in_channels, num_classes)
            x = torch.randn(2, in_channels, 6, 6)
            trace = run_forward(f"{name}(x)", block, x.clone())
            found = next((k for k in trace.kinds("sigmoid", "softmax")), None)
            if found:
                raise squashing(name, found)
            if modules_of(block, nn.ReLU) or trace.kinds("ReLU"):
                raise CheckFailed(
                    tr(
                        "A ReLU inside {name}: logits must be free to be negative (a negative logit says "
                        "'background'), and a ReLU sets them to 0 or more, so every pixel would lean to "
                        "'object'. OutConv is the 1x1 conv alone: remove the ReLU.",
                        name=name,
                    )
                )
            raised(trace, name, x)
            output(trace, name, (2, num_classes, 6, 6))
            reference = blocks.OutConv(in_channels, num_classes)
            same_as_reference(trace, reference, name, [x], tr("OutConv is the conv alone."))
            gradients(block, name, [x], ["x"])
    note = names_note(block, reference, "OutConv")
    return tr("OutConv OK: a 1x1 conv gives one logit per class and pixel; same output as the course's block.") + note


def _out_conv_layer(block, name, in_channels, num_classes):
    convs = modules_of(block, nn.Conv2d)
    if len(convs) != 1:
        raise CheckFailed(
            tr("{name} has {count} nn.Conv2d layers; OutConv is one 1x1 conv.", name=name, count=len(convs))
        )
    conv = convs[0]
    if conv.kernel_size != (1, 1):
        k = conv.kernel_size[0]
        raise CheckFailed(
            tr(
                "1x1 conv replaced by {k}x{k}: {name} has {layer}. OutConv turns each pixel's {in_channels} features "
                "into {num_classes} logit(s) on its own, looking at no neighbours: "
                "nn.Conv2d(in_channels, num_classes, kernel_size=1).",
                k=k,
                name=name,
                layer=describe_layer(conv),
                in_channels=in_channels,
                num_classes=num_classes,
            )
        )
    if conv.in_channels != in_channels or conv.out_channels != num_classes:
        raise CheckFailed(
            tr(
                "Wrong channels: {name} has a conv {got_in} -> {got_out} channels; it should take "
                "in_channels={in_channels} and give one logit per class, num_classes={num_classes}.",
                name=name,
                got_in=conv.in_channels,
                got_out=conv.out_channels,
                in_channels=in_channels,
                num_classes=num_classes,
            )
        )
    if conv.bias is None:
        raise CheckFailed(
            tr(
                "{name}'s conv has bias=False: no BatchNorm follows it, so it keeps its bias (the default, bias=True).",
                name=name,
            )
        )
