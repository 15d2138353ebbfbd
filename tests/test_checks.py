"""The exercise checkers: the course's blocks pass, and each classic mistake gets its own message."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from unet_course import blocks
from unet_course.checks import (
    CheckFailed,
    check_dice,
    check_double_conv,
    check_down,
    check_out_conv,
    check_train_one_epoch,
    check_unet,
    check_up,
    check_validate,
    load_weights_by_structure,
)
from unet_course.checks.dice import reference_dice
from unet_course.metrics import hard_dice
from unet_course.model import UNet


def fails(check, thing, *words):
    """``check(thing)`` raises CheckFailed whose message holds every one of ``words``."""
    with pytest.raises(CheckFailed) as failure:
        check(thing)
    message = str(failure.value)
    for word in words:
        assert word in message, message
    return message


# DoubleConv ---------------------------------------------------------------------------------


def conv3(c_in, c_out, **options):
    return nn.Conv2d(c_in, c_out, **{"kernel_size": 3, "padding": 1, "bias": False, **options})


def relu():
    return nn.ReLU(inplace=True)


def sequential_block(layers):
    """A DoubleConv-shaped class whose block is nn.Sequential(*layers(in_channels, out_channels))."""

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.double_conv = nn.Sequential(*layers(in_channels, out_channels))

        def forward(self, x):
            return self.double_conv(x)

    return DoubleConv


BN = nn.BatchNorm2d
DOUBLE_CONV_MISTAKES = {
    "missing padding": (
        lambda i, o: [conv3(i, o, padding=0), BN(o), relu(), conv3(o, o, padding=0), BN(o), relu()],
        ["Missing padding", "padding=1", "12x12 -> 8x8"],
    ),
    "bias before BN": (
        lambda i, o: [conv3(i, o, bias=True), BN(o), relu(), conv3(o, o, bias=True), BN(o), relu()],
        ["Bias left on before BatchNorm", "bias=False"],
    ),
    "no BatchNorm": (lambda i, o: [conv3(i, o), relu(), conv3(o, o), relu()], ["BatchNorm missing"]),
    "one BatchNorm": (lambda i, o: [conv3(i, o), BN(o), relu(), conv3(o, o), relu()], ["1 nn.BatchNorm2d"]),
    "no ReLU": (lambda i, o: [conv3(i, o), BN(o), conv3(o, o), BN(o)], ["ReLU missing"]),
    "one ReLU": (lambda i, o: [conv3(i, o), BN(o), conv3(o, o), BN(o), relu()], ["One ReLU missing"]),
    "ReLU before BN": (
        lambda i, o: [conv3(i, o), relu(), BN(o), conv3(o, o), relu(), BN(o)],
        ["BN or ReLU in the wrong place", "conv => ReLU => BN"],
    ),
    "BN before conv": (
        lambda i, o: [BN(i), conv3(i, o), relu(), BN(o), conv3(o, o), relu()],
        ["BN or ReLU in the wrong place", "before its first conv"],
    ),
    "one conv": (lambda i, o: [conv3(i, o), BN(o), relu()], ["One conv instead of two"]),
    "first conv keeps the channels": (
        lambda i, o: [conv3(i, i), BN(i), relu(), conv3(i, o), BN(o), relu()],
        ["Wrong channels", "first conv", "gives 3 channels"],
    ),
    "second conv from in_channels": (
        lambda i, o: [conv3(i, o), BN(o), relu(), conv3(i, o), BN(o), relu()],
        ["Wrong channels", "second conv", "nn.Conv2d(out_channels, out_channels"],
    ),
    "BatchNorm of in_channels": (
        lambda i, o: [conv3(i, o), BN(i), relu(), conv3(o, o), BN(o), relu()],
        ["Wrong channels", "nn.BatchNorm2d(3)"],
    ),
    "5x5 kernel": (
        lambda i, o: [conv3(i, o, kernel_size=5, padding=2), BN(o), relu(), conv3(o, o), BN(o), relu()],
        ["kernel_size=5", "3x3"],
    ),
}


def test_double_conv_reference_passes(capsys):
    check_double_conv(blocks.DoubleConv)
    assert capsys.readouterr().out.startswith("DoubleConv OK:")


def test_ok_line_is_one_stable_line(capsys):
    check_double_conv(blocks.DoubleConv)
    check_double_conv(blocks.DoubleConv)
    first, second = capsys.readouterr().out.splitlines()
    assert first == second and "0x" not in first


@pytest.mark.parametrize("mistake", DOUBLE_CONV_MISTAKES)
def test_double_conv_mistakes(mistake):
    layers, words = DOUBLE_CONV_MISTAKES[mistake]
    fails(check_double_conv, sequential_block(layers), *words)


def test_double_conv_mistakes_have_distinct_messages():
    messages = set()
    for layers, _ in DOUBLE_CONV_MISTAKES.values():
        with pytest.raises(CheckFailed) as failure:
            check_double_conv(sequential_block(layers))
        messages.add(str(failure.value))
    assert len(messages) == len(DOUBLE_CONV_MISTAKES)


def test_functional_relu_and_separate_layers_pass():
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.conv1, self.bn1 = conv3(in_channels, out_channels), BN(out_channels)
            self.conv2, self.bn2 = conv3(out_channels, out_channels), BN(out_channels)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(x)))

    check_double_conv(DoubleConv)


def test_checks_leave_the_students_random_state_alone():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    check_double_conv(blocks.DoubleConv)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("check", "instance", "name"),
    [
        (check_double_conv, blocks.DoubleConv(1, 4), "DoubleConv"),
        (check_down, blocks.Down(1, 4), "Down"),
        (check_up, blocks.Up(4, 2), "Up"),
        (check_out_conv, blocks.OutConv(4, 1), "OutConv"),
        (check_unet, blocks.OutConv(4, 1), "UNet"),
    ],
)
def test_an_instance_instead_of_the_class_is_refused(check, instance, name):
    fails(check, instance, "takes the class itself", f"{check.__name__}({name})")


def test_raising_constructor_is_reported():
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            raise ValueError("no idea yet")

    fails(check_double_conv, DoubleConv, "DoubleConv(4, 4) raised ValueError: no idea yet", "raise ValueError")


def test_raising_forward_is_reported():
    class DoubleConv(blocks.DoubleConv):
        def forward(self, x):
            return self.double_convs(x)

    message = fails(check_double_conv, DoubleConv, "DoubleConv(4, 4)(x) with x of shape (2, 4, 12, 12) raised")
    assert "AttributeError" in message and "`return self.double_convs(x)`" in message


def test_not_implemented_stubs_are_reported():
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            raise NotImplementedError("Write this part: see the hint above.")

    fails(check_double_conv, DoubleConv, "DoubleConv.__init__ is not implemented yet", "write the part marked")

    class Half(blocks.DoubleConv):
        def forward(self, x):
            raise NotImplementedError("Write this part: see the hint above.")

    fails(check_double_conv, Half, "Half.forward is not implemented yet")
    fails(check_dice, lambda probs, mask, smooth=1.0: _stub(), "_stub is not implemented yet")


def _stub():
    raise NotImplementedError("Write this part")


# Down ---------------------------------------------------------------------------------------


def down_block(layers):
    class Down(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.downsampling = nn.Sequential(*layers(in_channels, out_channels))

        def forward(self, x):
            return self.downsampling(x)

    return Down


DC = blocks.DoubleConv
DOWN_MISTAKES = {
    "stride 1": (lambda i, o: [nn.MaxPool2d(2, stride=1), DC(i, o)], ["wrong stride", "15x15, not 8x8"]),
    "the text's padding=2": (
        lambda i, o: [nn.MaxPool2d(kernel_size=2, padding=2), DC(i, o)],
        ["padding=2", "source text's slip", "nn.MaxPool2d(kernel_size=2)"],
    ),
    "kernel 3": (lambda i, o: [nn.MaxPool2d(3, stride=2), DC(i, o)], ["kernel_size=3"]),
    "no pooling": (lambda i, o: [DC(i, o)], ["No pooling"]),
    "average pooling": (lambda i, o: [nn.AvgPool2d(2), DC(i, o)], ["average pooling"]),
    "pool after conv": (lambda i, o: [DC(i, o), nn.MaxPool2d(2)], ["Pooling after the DoubleConv"]),
    "channels": (lambda i, o: [nn.MaxPool2d(2), DC(o, o)], ["Wrong channels", "the DoubleConv in Down(3, 8)"]),
    "missing padding in its DoubleConv": (
        lambda i, o: [nn.MaxPool2d(2), DC(i, o, padding="valid", batch_norm=True)],
        ["Missing padding"],
    ),
}


def test_down_reference_passes(capsys):
    check_down(blocks.Down)
    assert capsys.readouterr().out.startswith("Down OK:")


@pytest.mark.parametrize("mistake", DOWN_MISTAKES)
def test_down_mistakes(mistake):
    layers, words = DOWN_MISTAKES[mistake]
    fails(check_down, down_block(layers), *words)


def test_down_reports_its_unfinished_double_conv():
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            raise NotImplementedError

    fails(check_down, down_block(lambda i, o: [nn.MaxPool2d(2), DoubleConv(i, o)]), "DoubleConv.__init__ is not")


# Up -----------------------------------------------------------------------------------------


def _without_upsampling(x, skip):
    return torch.cat([skip, x], dim=1)


_without_upsampling.skips_upsampling = True


def up_block(
    upsampling=lambda i: nn.ConvTranspose2d(i, i // 2, kernel_size=2, stride=2),
    conv=lambda i, o: DC(i, o),
    join=lambda x, skip: torch.cat([skip, x], dim=1),
):
    class Up(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.upsampling = upsampling(in_channels)
            self.conv = conv(in_channels, out_channels)

        def forward(self, x, skip):
            return self.conv(join(self.upsampling(x) if apply else x, skip))

    apply = not getattr(join, "skips_upsampling", False)
    return Up


UP_MISTAKES = {
    "kernel 3": (
        {"upsampling": lambda i: nn.ConvTranspose2d(i, i // 2, kernel_size=3, stride=2)},
        ["wrong kernel/stride", "4x4 into 9x9", "kernel_size=2, stride=2"],
    ),
    "stride 1": (
        {"upsampling": lambda i: nn.ConvTranspose2d(i, i // 2, kernel_size=2, stride=1)},
        ["wrong kernel/stride", "4x4 into 5x5"],
    ),
    "channels not halved": (
        {"upsampling": lambda i: nn.ConvTranspose2d(i, i, kernel_size=2, stride=2)},
        ["Channels not halved before concatenation", "in_channels // 2"],
    ),
    "bilinear": ({"upsampling": lambda i: nn.Upsample(scale_factor=2)}, ["no nn.ConvTranspose2d"]),
    "cat on the batch": (
        {"join": lambda x, skip: torch.cat([skip, x], dim=0)},
        ["Concatenation on the wrong dim", "dim=0", "the batch"],
    ),
    "cat on the width": (
        {"join": lambda x, skip: torch.cat([skip, x], dim=-1)},
        ["Concatenation on the wrong dim", "the width"],
    ),
    "cat [x, skip]": ({"join": lambda x, skip: torch.cat([x, skip], dim=1)}, ["wrong order", "[x, skip]"]),
    "cat [x, skip] written another way": (
        {"join": lambda x, skip: torch.cat((x.contiguous(), skip.contiguous()), 1)},
        ["wrong order"],
    ),
    "skip never concatenated": (
        {"conv": lambda i, o: DC(i // 2, o), "join": lambda x, skip: x},
        ["Skip not used", "never calls torch.cat"],
    ),
    "skip added, not concatenated": (
        {"conv": lambda i, o: DC(i // 2, o), "join": lambda x, skip: x + skip},
        ["Skip added, not concatenated", 'prose says the two are "added"', "torch.cat([skip, x], dim=1)"],
    ),
    "no cat at all": ({"join": lambda x, skip: torch.zeros_like(x).repeat(1, 2, 1, 1)}, ["never calls torch.cat"]),
    "up-sampling never applied": (
        {"join": _without_upsampling},
        ["never runs its transposed conv"],
    ),
    "x concatenated twice": ({"join": lambda x, skip: torch.cat([x, x], dim=1)}, ["Skip not used", "whatever"]),
}


def test_up_reference_passes(capsys):
    check_up(blocks.Up)
    assert capsys.readouterr().out.startswith("Up OK:")


@pytest.mark.parametrize("mistake", UP_MISTAKES)
def test_up_mistakes(mistake):
    parts, words = UP_MISTAKES[mistake]
    fails(check_up, up_block(**parts), *words)


# OutConv ------------------------------------------------------------------------------------


def out_conv_block(layers, squash=None):
    class OutConv(nn.Module):
        def __init__(self, in_channels, num_classes):
            super().__init__()
            self.conv = layers(in_channels, num_classes)

        def forward(self, x):
            x = self.conv(x)
            return squash(x) if squash else x

    return OutConv


OUT_CONV_MISTAKES = {
    "3x3": ((lambda i, n: nn.Conv2d(i, n, kernel_size=3, padding=1), None), ["1x1 conv replaced by 3x3"]),
    "sigmoid module": (
        (lambda i, n: nn.Sequential(nn.Conv2d(i, n, 1), nn.Sigmoid()), None),
        ["A Sigmoid inside", "logits"],
    ),
    "sigmoid in forward": ((lambda i, n: nn.Conv2d(i, n, 1), torch.sigmoid), ["A sigmoid inside"]),
    "softmax in forward": ((lambda i, n: nn.Conv2d(i, n, 1), lambda x: x.softmax(dim=1)), ["A softmax inside"]),
    "no bias": ((lambda i, n: nn.Conv2d(i, n, 1, bias=False), None), ["bias=False"]),
    "channels": ((lambda i, n: nn.Conv2d(i, 1, 1), None), ["Wrong channels", "num_classes=3"]),
}


def test_out_conv_reference_passes(capsys):
    check_out_conv(blocks.OutConv)
    assert capsys.readouterr().out.startswith("OutConv OK:")


@pytest.mark.parametrize("mistake", OUT_CONV_MISTAKES)
def test_out_conv_mistakes(mistake):
    (layers, squash), words = OUT_CONV_MISTAKES[mistake]
    fails(check_out_conv, out_conv_block(layers, squash), *words)


# UNet ---------------------------------------------------------------------------------------


def test_unet_reference_passes(capsys):
    check_unet(UNet)
    assert capsys.readouterr().out.startswith("UNet OK:")


class SigmoidUNet(UNet):
    def forward(self, x):
        return torch.sigmoid(super().forward(x))


class SigmoidModuleUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(in_channels, num_classes)
        self.out_conv = nn.Sequential(self.out_conv, nn.Sigmoid())


class NarrowUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(in_channels, num_classes, base_channels=32)


class OneChannelUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(1, num_classes)


class WideOutConvUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(in_channels, num_classes)
        self.out_conv = nn.Conv2d(64, num_classes, kernel_size=3, padding=1)


class NoSkipsUNet(UNet):
    def forward(self, x):
        x = self.in_conv(x)
        skips = []
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up in self.ups:
            x = up(x, torch.zeros_like(skips.pop()))
        return self.out_conv(x)


class NoArgumentsUNet(nn.Module):
    def __init__(self):
        super().__init__()


UNET_MISTAKES = {
    "sigmoid in forward": (SigmoidUNet, ["A sigmoid inside", "logits"]),
    "sigmoid module": (SigmoidModuleUNet, ["A Sigmoid inside"]),
    "wrong widths": (NarrowUNet, ["built differently", "Conv2d(32, 32"]),
    "in_channels ignored": (OneChannelUNet, ["UNet(in_channels=3, num_classes=2) is built differently"]),
    "3x3 out conv": (WideOutConvUNet, ["built differently", "Conv2d(64, 1, kernel_size=(3, 3)"]),
    "skips not used": (NoSkipsUNet, ["computes something different", "up1(x5, x4)"]),
    "constructor without the API's arguments": (
        NoArgumentsUNet,
        ["UNet(in_channels=1, num_classes=1) raised TypeError", "unexpected keyword argument"],
    ),
}


@pytest.mark.parametrize("mistake", UNET_MISTAKES)
def test_unet_mistakes(mistake):
    cls, words = UNET_MISTAKES[mistake]
    fails(check_unet, cls, *words)


# dice ---------------------------------------------------------------------------------------


def per_image(probs, mask):
    dims = (1, 2, 3)
    return 2 * (probs * mask).sum(dims), probs.sum(dims) + mask.sum(dims)


DICE_MISTAKES = {
    "no smoothing": (lambda p, m, smooth=1.0: (lambda i, t: (i / t).mean())(*per_image(p, m)), ["without smoothing"]),
    "smooth in the numerator only": (
        lambda p, m, smooth=1.0: (lambda i, t: ((i + smooth) / t).mean())(*per_image(p, m)),
        ["inf", "denominator"],
    ),
    "smooth in the denominator only": (
        lambda p, m, smooth=1.0: (lambda i, t: (i / (t + smooth)).mean())(*per_image(p, m)),
        ["Wrong on empty masks", "must score 1"],
    ),
    "summed over the batch": (
        lambda p, m, smooth=1.0: (lambda i, t: ((i + smooth) / (t + smooth)).sum())(*per_image(p, m)),
        ["sums the per-image scores over the batch", ".mean()"],
    ),
    "one Dice for the batch": (
        lambda p, m, smooth=1.0: (2 * (p * m).sum() + smooth) / (p.sum() + m.sum() + smooth),
        ["one Dice for the whole batch"],
    ),
    "the loss": (lambda p, m, smooth=1.0: 1 - reference_dice(p, m, smooth), ["Dice loss"]),
    "thresholded": (lambda p, m, smooth=1.0: reference_dice((p > 0.5).float(), m, smooth), ["thresholds"]),
    "per image, not averaged": (
        lambda p, m, smooth=1.0: (lambda i, t: (i + smooth) / (t + smooth))(*per_image(p, m)),
        ["one value per image", "shape (3,)"],
    ),
    "a Python float": (lambda p, m, smooth=1.0: reference_dice(p, m, smooth).item(), ["not a tensor"]),
    "smooth argument ignored": (lambda p, m, smooth=1.0: reference_dice(p, m, 1.0), ["ignores its smooth argument"]),
    "no factor 2": (
        lambda p, m, smooth=1.0: (
            ((p * m).sum((1, 2, 3)) + smooth) / (p.sum((1, 2, 3)) + m.sum((1, 2, 3)) + smooth)
        ).mean(),
        ["factor 2"],
    ),
    "detached": (lambda p, m, smooth=1.0: reference_dice(p.detach(), m, smooth), ["no gradient"]),
    "raises": (lambda p, m, smooth=1.0: p.sum(dim=4), ["raised IndexError"]),
}


def test_dice_reference_passes(capsys):
    check_dice(reference_dice)
    assert capsys.readouterr().out.startswith("dice OK:")


def test_dice_wants_the_function():
    fails(check_dice, 0.5, "check_dice takes your function itself")


def test_dice_written_another_way_passes():
    def dice(probs, mask, smooth=1.0):
        probs, mask = probs.flatten(1), mask.flatten(1)
        return ((2 * (probs * mask).sum(1) + smooth) / (probs.sum(1) + mask.sum(1) + smooth)).mean()

    check_dice(dice)


@pytest.mark.parametrize("mistake", DICE_MISTAKES)
def test_dice_mistakes(mistake):
    fn, words = DICE_MISTAKES[mistake]
    fails(check_dice, fn, *words)


# behaviour: gradients, variants, diagnoses (issue 13) ----------------------------------------


def text_layers(i, o):
    return [conv3(i, o), BN(o), relu(), conv3(o, o), BN(o), relu()]


def forward_block(body, layers=text_layers):
    """A DoubleConv whose forward is ``body(self, x)``, built from ``layers``."""

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.double_conv = nn.Sequential(*layers(in_channels, out_channels))

        def forward(self, x):
            return body(self, x)

    return DoubleConv


def _no_grad_forward(self, x):
    with torch.no_grad():
        return self.double_conv(x)


class FrozenDoubleConv(blocks.DoubleConv):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.double_conv[0].requires_grad_(False)


BEHAVIOUR_MISTAKES = {
    "no_grad in forward": (forward_block(_no_grad_forward), ["under torch.no_grad()", "Conv2d(4, 4"]),
    "x.detach()": (forward_block(lambda self, x: self.double_conv(x.detach())), ["No gradient reaches `x`"]),
    "frozen conv": (FrozenDoubleConv, ["Frozen parameters", "`double_conv.0.weight`", "requires_grad=False"]),
    "InstanceNorm": (
        sequential_block(
            lambda i, o: [conv3(i, o), nn.InstanceNorm2d(o), relu(), conv3(o, o), nn.InstanceNorm2d(o), relu()]
        ),
        ["uses InstanceNorm2d(4", "it uses nn.BatchNorm2d(out_channels)"],
    ),
    "residual": (forward_block(lambda self, x: self.double_conv(x) + x), ["a residual connection", "has none"]),
    "BN eps": (
        sequential_block(lambda i, o: [conv3(i, o), BN(o, eps=1e-3), relu(), conv3(o, o), BN(o), relu()]),
        ["nn.BatchNorm2d(..., eps=0.001)", "keeps BatchNorm's defaults (eps=1e-05)"],
    ),
    "Dropout": (
        sequential_block(lambda i, o: [conv3(i, o), BN(o), relu(), nn.Dropout2d(0.1), conv3(o, o), BN(o), relu()]),
        ["uses Dropout2d(p=0.1", "no dropout at all"],
    ),
    "LeakyReLU": (
        sequential_block(lambda i, o: [conv3(i, o), BN(o), nn.LeakyReLU(), conv3(o, o), BN(o), nn.LeakyReLU()]),
        ["uses LeakyReLU", "nn.ReLU(inplace=True)"],
    ),
}


@pytest.mark.parametrize("mistake", sorted(BEHAVIOUR_MISTAKES))
def test_double_conv_behaviour_mistakes(mistake):
    cls, words = BEHAVIOUR_MISTAKES[mistake]
    fails(check_double_conv, cls, *words)


def test_other_attribute_names_pass_with_a_note_and_load_by_structure(capsys):
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.layers = nn.Sequential(*text_layers(in_channels, out_channels))

        def forward(self, x):
            return self.layers(x)

    check_double_conv(DoubleConv)
    out = capsys.readouterr().out
    assert out.startswith("DoubleConv OK:") and "name your attributes `self.double_conv`" in out
    mine, package = DoubleConv(1, 8).eval(), blocks.DoubleConv(1, 8).eval()
    with pytest.raises(RuntimeError, match="Missing key"):
        package.load_state_dict(mine.state_dict())  # what the later cell does by name
    load_weights_by_structure(package, mine)
    x = torch.randn(2, 1, 12, 12)
    assert torch.equal(mine(x), package(x))
    with pytest.raises(CheckFailed, match="the source has 4 layers with weights, the target 1"):
        load_weights_by_structure(blocks.OutConv(8, 1), mine)


def test_the_course_names_give_no_note(capsys):
    check_double_conv(blocks.DoubleConv)
    assert "Note:" not in capsys.readouterr().out


def test_a_failed_check_shows_its_message_only_in_jupyter():
    with pytest.raises(CheckFailed) as failure:
        check_double_conv(forward_block(lambda self, x: self.double_conv(x) + x))
    assert failure.value._render_traceback_() == [f"CheckFailed: {failure.value}"]
    assert failure.value.__traceback__ is not None  # pytest still sees where it came from


def test_a_forward_that_never_ends_is_stopped(monkeypatch):
    from unet_course.checks import _core

    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5)
    stop = []

    def forever(self, x):
        while not stop:
            pass
        return x

    try:
        fails(
            check_double_conv, forward_block(forever), "check_double_conv stopped after 0.5 s", "while True", "restart"
        )
    finally:
        stop.append(True)  # let the worker thread end


class CeilDown(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.downsampling = nn.Sequential(nn.MaxPool2d(2, ceil_mode=True), DC(in_channels, out_channels))

    def forward(self, x):
        return self.downsampling(x)


class NoGradDown(blocks.Down):
    def forward(self, x):
        with torch.no_grad():
            x = self.downsampling[0](x)
        return self.downsampling[1](x)


def test_down_ceil_mode_and_no_grad():
    fails(check_down, CeilDown, "nn.MaxPool2d(..., ceil_mode=True)", "15x15 map becomes 8x8")
    fails(check_down, NoGradDown, "runs MaxPool2d", "under torch.no_grad()")


def _up_conv(**options):
    return lambda i: nn.ConvTranspose2d(i, i // 2, **options)


class SkipFirstUp(blocks.Up):
    def forward(self, skip, x):
        return self.conv(torch.cat([skip, self.upsampling(x)], dim=1))


class OtherNamesSwappedUp(blocks.Up):
    def forward(self, below, across):
        return self.conv(torch.cat([below, self.upsampling(across)], dim=1))


class DetachedSkipUp(blocks.Up):
    def forward(self, x, skip):
        return self.conv(torch.cat([skip.detach(), self.upsampling(x)], dim=1))


class FrozenUp(blocks.Up):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.upsampling.requires_grad_(False)


class InterpolatingUp(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.upsampling = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, in_channels // 2, 1))
        self.conv = DC(in_channels, out_channels)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.upsampling(x)], dim=1))


UP_DIAGNOSES = {
    "kernel 3, padding 1, output_padding 1": (
        up_block(upsampling=_up_conv(kernel_size=3, stride=2, padding=1, output_padding=1)),
        [
            "kernel_size=3, stride=2, padding=1, output_padding=1) doubles the size",
            "but not the text's kernel 2 / stride 2",
        ],
    ),
    "kernel 4, padding 1": (
        up_block(upsampling=_up_conv(kernel_size=4, stride=2, padding=1)),
        ["kernel_size=4, stride=2, padding=1) doubles the size, but not the text's kernel 2 / stride 2"],
    ),
    "kernel 3, no padding": (
        up_block(upsampling=_up_conv(kernel_size=3, stride=2)),
        ["kernel_size=3, stride=2, padding=0) turns 4x4 into 9x9", "so the size is not doubled"],
    ),
    "forward(self, skip, x)": (SkipFirstUp, ["Swapped arguments: your Up defines forward(self, skip, x)"]),
    "swapped under other names": (OtherNamesSwappedUp, ["Swapped arguments", "works when called as up(skip, x)"]),
    "detached skip": (DetachedSkipUp, ["No gradient reaches `skip`"]),
    "frozen up-conv": (FrozenUp, ["Frozen parameters", "`upsampling.weight`"]),
    "interpolation": (InterpolatingUp, ["it up-samples with interpolation (Upsample(scale_factor=2.0"]),
}


@pytest.mark.parametrize("mistake", sorted(UP_DIAGNOSES))
def test_up_diagnoses(mistake):
    cls, words = UP_DIAGNOSES[mistake]
    fails(check_up, cls, *words)


class MisWiredUNet(UNet):
    def forward(self, x):
        x1 = self.in_conv(x)
        x2 = self.downs[0](x1)
        x3 = self.downs[1](x2)
        x4 = self.downs[2](x3)
        x5 = self.downs[3](x4)
        x = self.ups[0](x5, x3)  # the wrong level
        x = self.ups[1](x, x3)
        x = self.ups[2](x, x2)
        return self.out_conv(self.ups[3](x, x1))


class DetachedSkipsUNet(UNet):
    def forward(self, x):
        x = self.in_conv(x)
        skips = []
        for down in self.downs:
            skips.append(x.detach())
            x = down(x)
        for up in self.ups:
            x = up(x, skips.pop())
        return self.out_conv(x)


class FrozenEncoderUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(in_channels, num_classes)
        self.downs[0].requires_grad_(False)


def test_unet_wiring_is_blamed_on_the_students_forward():
    message = fails(check_unet, MisWiredUNet, "Skips wired wrongly", "x = self.ups[0](x5, x3)", "up1(x5, x4)")
    assert "blocks.py" not in message and "input whose height" not in message


def test_unet_detached_skips_and_frozen_encoder():
    fails(check_unet, DetachedSkipsUNet, "`up1` gets its second input without a gradient")
    fails(
        check_unet, FrozenEncoderUNet, "Frozen parameters", "`down1.downsampling.1.double_conv.0.weight`", "and 3 more"
    )


def test_dice_per_channel_and_half_detached():
    def per_channel(probs, mask, smooth=1.0):
        dims = (2, 3)
        return ((2 * (probs * mask).sum(dims) + smooth) / (probs.sum(dims) + mask.sum(dims) + smooth)).mean()

    def half_detached(probs, mask, smooth=1.0):
        dims = (1, 2, 3)
        return ((2 * (probs * mask).sum(dims) + smooth) / (probs.detach().sum(dims) + mask.sum(dims) + smooth)).mean()

    fails(check_dice, per_channel, "computes one Dice per channel and averages those")
    fails(check_dice, half_detached, "value is right but its gradient is not", "probs.detach()")


# the training loop (notebook 07) --------------------------------------------------------------


def make_train(train_mode=True, zero_grad=True, backward=True, step=True, per_image=True, swap=False, as_tensor=False):
    def train_one_epoch(model, loader, optimizer, loss_fn, device):
        if train_mode:
            model.train()
        total, count, losses = 0.0, 0, []
        for images, masks in loader:
            images, masks = images.to(device), masks.to(device)
            if zero_grad:
                optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(masks, logits) if swap else loss_fn(logits, masks)
            if backward:
                loss.backward()
            if step:
                optimizer.step()
            total += loss.item() * images.shape[0]
            count += images.shape[0]
            losses.append(loss.item())
        if as_tensor:
            return torch.tensor(total / count)
        return total / count if per_image else sum(losses) / len(losses)

    return train_one_epoch


def test_train_one_epoch_reference_passes(capsys):
    check_train_one_epoch(make_train())
    assert capsys.readouterr().out.startswith("train_one_epoch OK: train mode, zero_grad/backward/step")


TRAIN_MISTAKES = {
    "no model.train()": ({"train_mode": False}, ["never calls model.train() before the forward"]),
    "no zero_grad": ({"zero_grad": False}, ["Gradients accumulate", "optimizer.zero_grad()"]),
    "no backward": ({"backward": False}, ["optimizer.step() ran without gradients", "loss.backward()"]),
    "no step": ({"step": False}, ["never calls optimizer.step()"]),
    "mean of batch means": ({"per_image": False}, ["returns the mean of the batch losses", "weight each batch"]),
    "mask first": ({"swap": True}, ["loss_fn(masks, logits): the prediction comes first"]),
    "tensor returned": ({"as_tensor": True}, ["returned a tensor", "not a float"]),
}


@pytest.mark.parametrize("mistake", sorted(TRAIN_MISTAKES))
def test_train_one_epoch_mistakes(mistake):
    options, words = TRAIN_MISTAKES[mistake]
    fails(check_train_one_epoch, make_train(**options), *words)


def test_train_one_epoch_that_does_not_learn():
    def zero_lr(model, loader, optimizer, loss_fn, device):
        for group in optimizer.param_groups:
            group["lr"] = 0.0
        return make_train()(model, loader, optimizer, loss_fn, device)

    fails(check_train_one_epoch, zero_lr, "The loss did not go down")


def make_validate(eval_mode=True, no_grad=True, backward=False, per_image=True, dice="hard", update=False):
    def validate(model, loader, loss_fn, device):
        if eval_mode:
            model.eval()
        loss_sum, dice_sum, count, dices = 0.0, 0.0, 0, []
        context = torch.no_grad() if no_grad else torch.enable_grad()
        with context:
            for images, masks in loader:
                logits = model(images)
                loss = loss_fn(logits, masks)
                if backward:
                    loss.backward()
                if update:
                    with torch.no_grad():
                        next(model.parameters()).add_(0.01)
                probs = torch.sigmoid(logits)
                if dice == "hard":
                    score = hard_dice(probs, masks)
                elif dice == "logits":
                    score = hard_dice(logits, masks)
                else:
                    score = reference_dice(probs, masks)
                n = images.shape[0]
                loss_sum, dice_sum, count = loss_sum + loss.item() * n, dice_sum + score.item() * n, count + n
                dices.append(score.item())
        return {"loss": loss_sum / count, "dice": dice_sum / count if per_image else sum(dices) / len(dices)}

    return validate


def test_validate_reference_passes(capsys):
    check_validate(make_validate())
    assert capsys.readouterr().out.startswith("validate OK: eval mode, no graphs, no updates")


VALIDATE_MISTAKES = {
    "no model.eval()": ({"eval_mode": False}, ["never calls model.eval() before the forward"]),
    "graphs built": ({"no_grad": False}, ["builds autograd graphs", "torch.no_grad()"]),
    "backward": ({"no_grad": False, "backward": True}, ["validate calls loss.backward()"]),
    "weights updated": ({"update": True}, ["validate changed the model (0.weight)"]),
    "dice of batch means": ({"per_image": False}, ['"dice" averages the batch means']),
    "dice of logits": ({"dice": "logits"}, ['"dice" thresholds the logits at 0.5']),
    "soft dice": ({"dice": "soft"}, ['"dice" is the soft Dice of the probabilities']),
}


@pytest.mark.parametrize("mistake", sorted(VALIDATE_MISTAKES))
def test_validate_mistakes(mistake):
    options, words = VALIDATE_MISTAKES[mistake]
    fails(check_validate, make_validate(**options), *words)


def test_validate_wrong_return():
    def as_tuple(model, loader, loss_fn, device):
        result = make_validate()(model, loader, loss_fn, device)
        return result["loss"], result["dice"]

    fails(
        check_validate, as_tuple, "validate returned tuple", 'return a dict with two keys, {"loss": ..., "dice": ...}'
    )
