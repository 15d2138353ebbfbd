"""The exercise checkers in both languages: the same mistake gets the English message by default and the
Chinese one under UNET_COURSE_LANGUAGE=zh, with the same numbers and the same fix; the OK lines too."""

import re

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook
from torch import nn

from unet_course import blocks, i18n
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
from unet_course.instructor import build, stale, strip_source
from unet_course.metrics import hard_dice
from unet_course.model import UNet

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBERS = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(autouse=True)
def english_first(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "en")


def message(check, thing, language, monkeypatch):
    """The CheckFailed message of ``check(thing)`` in ``language``."""
    monkeypatch.setenv(i18n.VARIABLE, language)
    with pytest.raises(CheckFailed) as failure:
        check(thing)
    return str(failure.value)


def both(check, thing, monkeypatch):
    """(English message, Chinese message) of the same failing check."""
    english = message(check, thing, "en", monkeypatch)
    chinese = message(check, thing, "zh", monkeypatch)
    assert CJK.search(chinese) and not CJK.search(english), (english, chinese)
    return english, chinese


def ok_line(check, thing, language, monkeypatch, capsys):
    monkeypatch.setenv(i18n.VARIABLE, language)
    check(thing)
    return capsys.readouterr().out.rstrip("\n")


# students' answers, right and wrong ---------------------------------------------------------


def double_conv(conv=None, norm=True):
    """A DoubleConv class; ``conv(c_in, c_out)`` makes each conv (the right one by default)."""
    conv = conv or (lambda c_in, c_out: nn.Conv2d(c_in, c_out, 3, padding=1, bias=False))

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            layers = []
            for c_in in (in_channels, out_channels):
                layers += [conv(c_in, out_channels), nn.BatchNorm2d(out_channels) if norm else nn.Identity()]
                layers.append(nn.ReLU(inplace=True))
            self.double_conv = nn.Sequential(*layers)

        def forward(self, x):
            return self.double_conv(x)

    return DoubleConv


class SwappedUp(blocks.Up):
    def forward(self, x, skip):
        return self.conv(torch.cat([self.upsampling(x), skip], dim=1))


class AddedUp(blocks.Up):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.conv = blocks.DoubleConv(in_channels // 2, out_channels)

    def forward(self, x, skip):
        return self.conv(self.upsampling(x) + skip)


class WideUp(blocks.Up):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.upsampling = nn.ConvTranspose2d(in_channels, in_channels, kernel_size=2, stride=2)


class SigmoidOutConv(blocks.OutConv):
    def forward(self, x):
        return torch.sigmoid(super().forward(x))


class SigmoidModuleUNet(UNet):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__(in_channels, num_classes)
        self.out_conv = nn.Sequential(self.out_conv, nn.Sigmoid())


class StrideOneDown(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.downsampling = nn.Sequential(nn.MaxPool2d(2, stride=1), blocks.DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.downsampling(x)


def dice(smooth_in_numerator=True, smooth_in_denominator=True):
    def dice(probs, mask, smooth=1.0):
        dims = (1, 2, 3)
        top = 2 * (probs * mask).sum(dims) + (smooth if smooth_in_numerator else 0)
        bottom = probs.sum(dims) + mask.sum(dims) + (smooth if smooth_in_denominator else 0)
        return (top / bottom).mean()

    return dice


def train_one_epoch(zero_grad=True):
    def train_one_epoch(model, loader, optimizer, loss_fn, device):
        model.train()
        total, count = 0.0, 0
        for images, masks in loader:
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(images), masks)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * images.shape[0], count + images.shape[0]
        return total / count

    return train_one_epoch


def validate(eval_mode=True):
    def validate(model, loader, loss_fn, device):
        if eval_mode:
            model.eval()
        loss_sum, dice_sum, count = 0.0, 0.0, 0
        with torch.no_grad():
            for images, masks in loader:
                logits = model(images)
                n = images.shape[0]
                loss_sum += loss_fn(logits, masks).item() * n
                dice_sum += hard_dice(torch.sigmoid(logits), masks).item() * n
                count += n
        return {"loss": loss_sum / count, "dice": dice_sum / count}

    return validate


# the mistakes the brief names, in both languages ---------------------------------------------


def test_missing_padding(monkeypatch):
    wrong = double_conv(lambda c_in, c_out: nn.Conv2d(c_in, c_out, 3, padding=0, bias=False))
    english, chinese = both(check_double_conv, wrong, monkeypatch)
    assert english.startswith("Missing padding: the first conv of DoubleConv(4, 4) has padding=0")
    assert "(12x12 -> 8x8 after both convs)" in english and english.endswith("use padding=1.")
    assert chinese.startswith("缺少填充：DoubleConv(4, 4) 的第一个卷积的 padding=0")
    assert "（两个卷积之后 12x12 -> 8x8）" in chinese and chinese.endswith("请使用 padding=1。")


def test_wrong_padding_and_second_conv(monkeypatch):
    convs = []

    def conv(c_in, c_out):
        convs.append(None)
        padding = 1 if len(convs) % 2 else 2  # the second conv of each block pads by 2
        return nn.Conv2d(c_in, c_out, 3, padding=padding, bias=False)

    english, chinese = both(check_double_conv, double_conv(conv), monkeypatch)
    assert english.startswith("Wrong padding: the second conv of DoubleConv(4, 4) has padding=2")
    assert "grows the size by 2 pixels" in english and "12x12 -> 16x16" in english
    assert chinese.startswith("填充不对：DoubleConv(4, 4) 的第二个卷积的 padding=2")
    assert "尺寸就增大 2 个像素" in chinese and "12x12 -> 16x16" in chinese


def test_bias_left_on_before_batch_norm(monkeypatch):
    wrong = double_conv(lambda c_in, c_out: nn.Conv2d(c_in, c_out, 3, padding=1, bias=True))
    english, chinese = both(check_double_conv, wrong, monkeypatch)
    assert english.startswith("Bias left on before BatchNorm: the first conv of DoubleConv(4, 4) has bias=True.")
    assert "its 4 numbers are wasted parameters. Pass bias=False to both convs." in english
    assert chinese.startswith("批量归一化之前的卷积保留了偏置：DoubleConv(4, 4) 的第一个卷积的 bias=True。")
    assert "这 4 个偏置参数都是浪费的。请给两个卷积都传入 bias=False。" in chinese


def test_wrong_channels(monkeypatch):
    wrong = double_conv(lambda c_in, c_out: nn.Conv2d(c_in, c_in, 3, padding=1, bias=False))
    english, chinese = both(check_double_conv, wrong, monkeypatch)
    assert english == (
        "Wrong channels: the first conv of DoubleConv(3, 8) gives 3 channels; in DoubleConv both convs give "
        "out_channels=8: nn.Conv2d(in_channels, out_channels, ...)."
    )
    assert chinese == (
        "通道数不对：DoubleConv(3, 8) 的第一个卷积输出 3 个通道；在 DoubleConv 中两个卷积都输出 out_channels=8 "
        "个通道：nn.Conv2d(in_channels, out_channels, ...)。"
    )


def test_batch_norm_missing(monkeypatch):
    english, chinese = both(check_double_conv, double_conv(norm=False), monkeypatch)
    assert english.startswith("BatchNorm missing: DoubleConv(4, 4) has no nn.BatchNorm2d.")
    assert chinese.startswith("缺少批量归一化：DoubleConv(4, 4) 中没有 nn.BatchNorm2d。")
    assert "nn.BatchNorm2d(out_channels)" in chinese


def test_cat_order_in_up(monkeypatch):
    english, chinese = both(check_up, SwappedUp, monkeypatch)
    assert english.startswith("Concatenation in the wrong order: Up(8, 4) concatenates [x, skip].")
    assert "x = torch.cat([skip, x], dim=1)" in english
    assert chinese.startswith("拼接的顺序不对：Up(8, 4) 拼接的是 [x, skip]。")
    assert "把 skip 放在前面：x = torch.cat([skip, x], dim=1)。" in chinese


def test_skip_added_in_up(monkeypatch):
    english, chinese = both(check_up, AddedUp, monkeypatch)
    assert english.startswith("Skip added, not concatenated: Up(8, 4) adds the skip to x (`skip + x`).")
    assert chinese.startswith("skip 被相加而不是拼接：Up(8, 4) 把 skip 加到了 x 上（`skip + x`）。")
    assert "x = torch.cat([skip, x], dim=1)" in chinese and "“相加”" in chinese


def test_sigmoid_in_out_conv_and_unet(monkeypatch):
    english, chinese = both(check_out_conv, SigmoidOutConv, monkeypatch)
    assert english.startswith("A sigmoid inside OutConv(8, 1): the model must return logits (any real number).")
    assert chinese.startswith("OutConv(8, 1) 里面有一个 sigmoid：模型必须返回 logits（任意实数）。")
    assert chinese.endswith("请把它从模块中去掉。")
    english, chinese = both(check_unet, SigmoidModuleUNet, monkeypatch)
    assert english.startswith("A Sigmoid inside UNet(in_channels=1, num_classes=1): the model must return logits")
    assert chinese.startswith("UNet(in_channels=1, num_classes=1) 里面有一个 Sigmoid：模型必须返回 logits")


def test_dice_without_smoothing(monkeypatch):
    formula = "(2 * sum(probs * mask) + smooth) / (sum(probs) + sum(mask) + smooth)"
    english, chinese = both(check_dice, dice(False, False), monkeypatch)
    assert english == (
        "Dice without smoothing: for an empty mask and an empty prediction it computes 0 / 0 = nan. Add smooth "
        f"to the numerator and the denominator: {formula}."
    )
    assert chinese == (
        f"Dice 没有平滑项：对空掩码和空预测，它算出 0 / 0 = nan。请在分子和分母上都加上 smooth：{formula}。"
    )
    english, chinese = both(check_dice, dice(True, False), monkeypatch)
    assert english.startswith("Dice gives inf for an empty mask and an empty prediction")
    assert chinese.startswith("对空掩码和空预测，Dice 给出 inf：smooth 只加在了分子上。")


def test_train_loop_missing_zero_grad(monkeypatch):
    english, chinese = both(check_train_one_epoch, train_one_epoch(zero_grad=False), monkeypatch)
    assert english.startswith("Gradients accumulate: optimizer.zero_grad() is not called on every step")
    assert english.endswith("Call optimizer.zero_grad() once per batch, before loss.backward().")
    assert chinese.startswith("梯度在累积：并非每一步都调用了 optimizer.zero_grad()")
    assert chinese.endswith("请在每个批量上、loss.backward() 之前调用一次 optimizer.zero_grad()。")


def test_validate_in_train_mode(monkeypatch):
    english, chinese = both(check_validate, validate(eval_mode=False), monkeypatch)
    assert english.startswith("The model ran in train mode: validate never calls model.eval() before the forward")
    assert english.endswith("Call model.eval() at the start of validate.")
    assert chinese.startswith("模型在训练模式下运行：validate 在前向传播之前从未调用 model.eval()")
    assert chinese.endswith("请在 validate 开始时调用 model.eval()。")


# the OK lines -----------------------------------------------------------------------------------

OK_LINES = {
    "DoubleConv": (
        check_double_conv,
        blocks.DoubleConv,
        "DoubleConv OK: (conv 3x3 => BN => ReLU) x 2, size kept, same output as the course's block.",
        "DoubleConv 通过：(conv 3x3 => BN => ReLU) x 2，尺寸保持不变，输出与课程的模块相同。",
    ),
    "Down": (
        check_down,
        blocks.Down,
        "Down OK: max-pool 2x2 halves the size, then DoubleConv; same output as the course's block.",
        "Down 通过：2x2 最大池化把尺寸减半，然后是 DoubleConv；输出与课程的模块相同。",
    ),
    "Up": (
        check_up,
        blocks.Up,
        "Up OK: up-conv doubles the size and halves the channels, cat [skip, x] on dim 1, DoubleConv; same output.",
        "Up 通过：转置卷积把尺寸翻倍、通道减半，在第 1 维上拼接 [skip, x]，再接 DoubleConv；输出相同。",
    ),
    "OutConv": (
        check_out_conv,
        blocks.OutConv,
        "OutConv OK: a 1x1 conv gives one logit per class and pixel; same output as the course's block.",
        "OutConv 通过：一个 1x1 卷积为每个类别、每个像素给出一个 logit；输出与课程的模块相同。",
    ),
    "UNet": (
        check_unet,
        UNet,
        "UNet OK: the course's layers (31,036,481 parameters for 1 -> 1), logits of the input's size, same output.",
        "UNet 通过：层与课程的相同（1 -> 1 时共 31,036,481 个参数），logits 与输入同尺寸，输出相同。",
    ),
    "dice": (
        check_dice,
        dice(),
        "dice OK: per-image soft Dice averaged over the batch, 1 for empty vs empty, smooth used, differentiable.",
        "dice 通过：逐图像计算软 Dice 再在批量上求平均，空掩码对空预测得 1，用到了 smooth，可微。",
    ),
}


@pytest.mark.parametrize("name", OK_LINES)
def test_ok_lines_in_both_languages_and_localized(name, monkeypatch, capsys):
    check, answer, english, chinese = OK_LINES[name]
    assert ok_line(check, answer, "en", monkeypatch, capsys) == english
    assert ok_line(check, answer, "zh", monkeypatch, capsys) == chinese
    assert i18n.localize(english) == chinese  # how the Chinese notebooks take their outputs from the English ones


def test_ok_lines_with_numbers(monkeypatch, capsys):
    english = ok_line(check_train_one_epoch, train_one_epoch(), "en", monkeypatch, capsys)
    first, last = re.fullmatch(
        r"train_one_epoch OK: train mode, zero_grad/backward/step on every batch, mean loss per image; the loss "
        r"fell from (\d\.\d{3}) to (\d\.\d{3}) in 4 epochs\.",
        english,
    ).groups()
    assert float(last) < float(first)
    chinese = ok_line(check_train_one_epoch, train_one_epoch(), "zh", monkeypatch, capsys)
    assert chinese == (
        "train_one_epoch 通过：训练模式，每个批量都执行 zero_grad/backward/step，返回每张图像的平均损失；"
        f"损失在 4 轮内从 {first} 降到 {last}。"
    )
    assert i18n.localize(english) == chinese
    english = ok_line(check_validate, validate(), "en", monkeypatch, capsys)
    loss, score = re.fullmatch(
        r"validate OK: eval mode, no graphs, no updates; loss (\d\.\d{3}), Dice (\d\.\d{3})\.", english
    ).groups()
    chinese = ok_line(check_validate, validate(), "zh", monkeypatch, capsys)
    assert chinese == f"validate 通过：评估模式，不构建计算图，不更新参数；损失 {loss}，Dice {score}。"


def test_localized_validate_ok_line(monkeypatch, capsys):
    english = ok_line(check_validate, validate(), "en", monkeypatch, capsys)
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert i18n.localize(english) == ok_line(check_validate, validate(), "zh", monkeypatch, capsys)


def test_ok_line_with_the_names_note(monkeypatch, capsys):
    class DoubleConv(blocks.DoubleConv):
        def __init__(self, in_channels, out_channels):
            super().__init__(in_channels, out_channels)
            self.layers = self.double_conv
            del self.double_conv

        def forward(self, x):
            return self.layers(x)

    english = ok_line(check_double_conv, DoubleConv, "en", monkeypatch, capsys)
    chinese = ok_line(check_double_conv, DoubleConv, "zh", monkeypatch, capsys)
    assert english.splitlines()[1].startswith("Note: your DoubleConv is right, but its layers have other names")
    assert "name your attributes `self.double_conv` as the package does" in english
    assert chinese.splitlines()[0] == OK_LINES["DoubleConv"][3]
    assert chinese.splitlines()[1].startswith(
        "注意：你的 DoubleConv 是对的，但它的层名（layers.0.weight, layers.1.weight"
    )
    assert "请像包里那样把属性命名为 `self.double_conv`" in chinese
    assert i18n.localize(english) == chinese


# the other kinds of message -----------------------------------------------------------------------


def test_time_limit(monkeypatch):
    from unet_course.checks import _core

    monkeypatch.setattr(_core, "TIME_LIMIT", 0.3)
    stop = []

    class Forever(blocks.DoubleConv):
        def forward(self, x):
            while not stop:
                pass
            return x

    try:
        english, chinese = both(check_double_conv, Forever, monkeypatch)
    finally:
        stop.append(True)  # let the worker threads end
    assert english.startswith("check_double_conv stopped after 0.3 s without an answer")
    assert chinese.startswith("check_double_conv 在 0.3 秒后仍没有结果，已停止")
    assert "`while True:`" in chinese and "重启内核（Kernel > Restart）" in chinese


def test_not_implemented_and_raising_code(monkeypatch):
    class Stub(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            raise NotImplementedError("Write this part")

    english, chinese = both(check_double_conv, Stub, monkeypatch)
    assert english.startswith("Stub.__init__ is not implemented yet: write the part marked")
    assert chinese.startswith("Stub.__init__ 还没有实现：请编写标有 `raise NotImplementedError(...)` 的部分")
    assert chinese.endswith("（DoubleConv(4, 4) 抛出了 NotImplementedError。）")

    class Typo(blocks.DoubleConv):
        def forward(self, x):
            return self.double_convs(x)

    english, chinese = both(check_double_conv, Typo, monkeypatch)
    assert english.startswith("DoubleConv(4, 4)(x) with x of shape (2, 4, 12, 12) raised AttributeError:")
    assert english.endswith(" (at the line `return self.double_convs(x)`)")
    assert chinese.startswith("DoubleConv(4, 4)(x)（x 的形状为 (2, 4, 12, 12)）抛出了 AttributeError:")
    assert chinese.endswith("（出错的代码行：`return self.double_convs(x)`）")


def test_an_instance_instead_of_the_class(monkeypatch):
    english, chinese = both(check_down, blocks.Down(1, 4), monkeypatch)
    assert english == (
        "check_down takes the class itself, not a block built from it: write check_down(Down), without arguments "
        "after Down."
    )
    assert chinese == "check_down 接受的是类本身，而不是用它构造出的模块：请写 check_down(Down)，Down 后面不要带参数。"


def test_down_stride_and_the_texts_padding_slip(monkeypatch):
    english, chinese = both(check_down, StrideOneDown, monkeypatch)
    assert "nn.MaxPool2d(kernel_size=2, stride=1) turns 16x16 into 15x15, not 8x8. Use stride=2" in english
    assert "nn.MaxPool2d(kernel_size=2, stride=1) 把 16x16 变成 15x15，而不是 8x8。请使用 stride=2" in chinese

    class SlipDown(StrideOneDown):
        def __init__(self, in_channels, out_channels):
            super().__init__(in_channels, out_channels)
            self.downsampling[0] = nn.MaxPool2d(kernel_size=2, padding=2)

    english, chinese = both(check_down, SlipDown, monkeypatch)
    assert "padding=2). This is the source text's slip: it writes padding=2 where it means stride 2. Max" in english
    assert "padding=2)。这是原文的笔误：它写的是 padding=2，本意是步幅 2。最大池化" in chinese


def test_the_double_conv_inside_a_down_is_named(monkeypatch):
    class NarrowDown(StrideOneDown):
        def __init__(self, in_channels, out_channels):
            super().__init__(in_channels, out_channels)
            self.downsampling = nn.Sequential(nn.MaxPool2d(2), blocks.DoubleConv(out_channels, out_channels))

    english, chinese = both(check_down, NarrowDown, monkeypatch)  # Down's own fix, not DoubleConv's
    assert english.startswith("Wrong channels: the DoubleConv in Down(3, 8) goes from 8 to 8 channels, but the pooled")
    assert english.endswith("after the max-pool, write DoubleConv(in_channels, out_channels).")
    assert chinese.startswith("通道数不对：Down(3, 8) 中的 DoubleConv 从 8 个通道变为 8 个通道")
    assert chinese.endswith("请在最大池化之后写 DoubleConv(in_channels, out_channels)。")


def test_cat_on_the_wrong_dim(monkeypatch):
    class WidthUp(blocks.Up):
        def forward(self, x, skip):
            return self.conv(torch.cat([skip, self.upsampling(x)], dim=-1))

    english, chinese = both(check_up, WidthUp, monkeypatch)
    assert "torch.cat(..., dim=3), which joins along the width." in english
    assert "torch.cat(..., dim=3)，这是沿宽度维拼接。" in chinese


def test_gradients_cut(monkeypatch):
    class DetachedSkipUp(blocks.Up):
        def forward(self, x, skip):
            return super().forward(x, skip.detach())

    english, chinese = both(check_up, DetachedSkipUp, monkeypatch)
    assert english.startswith("No gradient reaches `skip`: Up(8, 4)'s forward detaches it (`skip.detach()`")
    assert chinese.startswith("梯度到不了 `skip`：Up(8, 4) 的 forward 把它分离了出来（`skip.detach()`")

    class FrozenDoubleConv(blocks.DoubleConv):
        def __init__(self, in_channels, out_channels):
            super().__init__(in_channels, out_channels)
            self.double_conv[0].weight.requires_grad_(False)

    english, chinese = both(check_double_conv, FrozenDoubleConv, monkeypatch)
    assert english.startswith("Frozen parameters: in DoubleConv(4, 4), `double_conv.0.weight` have requires_grad")
    assert chinese.startswith("参数被冻结：在 DoubleConv(4, 4) 中，`double_conv.0.weight` 的 requires_grad=False")


def test_load_weights_by_structure(monkeypatch):
    for language, expected in [
        ("en", "load_weights_by_structure: the source has 4 layers with weights, the target 1"),
        ("zh", "load_weights_by_structure：源模块有 4 个带权重的层，目标模块有 1 个"),
    ]:
        monkeypatch.setenv(i18n.VARIABLE, language)
        with pytest.raises(CheckFailed, match=re.escape(expected)):
            load_weights_by_structure(blocks.OutConv(8, 1), blocks.DoubleConv(1, 8))


WRONG_ANSWERS = [
    (check_double_conv, double_conv(lambda c_in, c_out: nn.Conv2d(c_in, c_out, 5, padding=2, bias=False))),
    (check_double_conv, double_conv(lambda c_in, c_out: nn.Conv2d(c_in, c_out, 3, padding=1, stride=2, bias=False))),
    (check_out_conv, lambda in_channels, num_classes: nn.Conv2d(in_channels, num_classes, 3, padding=1)),
    (check_out_conv, lambda in_channels, num_classes: nn.Conv2d(in_channels, 1, 1)),
    (check_up, WideUp),
    (check_dice, dice(False, True)),
    (check_dice, lambda probs, mask, smooth=1.0: 1 - dice()(probs, mask, smooth)),
    (check_train_one_epoch, lambda model, loader, optimizer, loss_fn, device: 0.5),
    (check_validate, lambda model, loader, loss_fn, device: (0.5, 0.5)),
]


@pytest.mark.parametrize(("check", "answer"), WRONG_ANSWERS, ids=lambda value: getattr(value, "__name__", ""))
def test_chinese_message_keeps_the_numbers_and_code(check, answer, monkeypatch):
    english, chinese = both(check, answer, monkeypatch)
    assert sorted(NUMBERS.findall(english)) == sorted(NUMBERS.findall(chinese)), (english, chinese)
    for code in re.findall(r"\b(?:nn|torch)\.[\w.]+\([^()]*\)|\b\w+=\w+(?:\.\w+)*", english):
        assert code in chinese, (code, chinese)


# the stubs of the student copies ------------------------------------------------------------------

CLASS = """class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        # Hint: two 3x3 convs, each followed by BatchNorm2d and ReLU
        ### BEGIN SOLUTION
        self.double_conv = nn.Identity()
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.double_conv(x)
        ### END SOLUTION"""


def stubs(source):
    return [line.strip() for line in source.splitlines() if "NotImplementedError" in line]


def test_chinese_stubs_and_english_ones_unchanged(monkeypatch):
    english = [
        'raise NotImplementedError("Write this part of DoubleConv.__init__ (see the hint above), then run the check '
        'below.")',
        'raise NotImplementedError("Write this part of DoubleConv.forward, then run the check below.")',
    ]
    assert stubs(strip_source(CLASS)) == english
    monkeypatch.setenv(i18n.VARIABLE, "zh")  # the instructor's own setting does not change the English copy
    assert stubs(strip_source(CLASS)) == english
    assert stubs(strip_source(CLASS, language="zh")) == [
        'raise NotImplementedError("请编写 DoubleConv.__init__ 的这一部分（参见上方的提示），然后运行下面的检查。")',
        'raise NotImplementedError("请编写 DoubleConv.forward 的这一部分，然后运行下面的检查。")',
    ]
    assert i18n.language() == "zh"  # the setting is as it was
    monkeypatch.setenv(i18n.VARIABLE, "en")
    assert stubs(strip_source("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION", language="zh")) == [
        'raise NotImplementedError("请编写这一部分，然后运行下面的检查。")'
    ]
    assert i18n.language() == "en"


def test_build_in_chinese_writes_a_copy_whose_check_speaks_chinese(tmp_path, monkeypatch):
    imports = "import torch\nfrom torch import nn\n\nfrom unet_course.checks import check_double_conv"
    notebook = new_notebook(cells=[new_code_cell(imports), new_code_cell(CLASS), new_code_cell("1")])
    nbformat.write(notebook, tmp_path / "01_double_conv.ipynb")
    written, _ = build(tmp_path, language="zh")
    copy = nbformat.read(written[0], as_version=4)
    assert "请编写 DoubleConv.__init__ 的这一部分" in copy.cells[1].source
    assert stale(tmp_path, language="zh") == []
    assert [(p.name, why) for p, why in stale(tmp_path)] == [("01_double_conv.ipynb", "differs")]
    namespace = {}
    for cell in copy.cells[:2]:
        exec(compile(cell.source, "<cell>", "exec"), namespace)
    english, chinese = both(check_double_conv, namespace["DoubleConv"], monkeypatch)
    assert english.startswith("DoubleConv.__init__ is not implemented yet")
    assert chinese.startswith("DoubleConv.__init__ 还没有实现：请编写标有 `raise NotImplementedError(...)` 的部分")


@pytest.mark.parametrize("as_module", [True, False])
def test_a_relu_in_out_conv_is_named(as_module, monkeypatch):
    class OutConv(nn.Module):
        def __init__(self, in_channels, num_classes):
            super().__init__()
            self.conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)
            self.relu = nn.ReLU() if as_module else None

        def forward(self, x):
            return self.relu(self.conv(x)) if as_module else torch.relu(self.conv(x))

    english, chinese = both(check_out_conv, OutConv, monkeypatch)
    assert english.startswith("A ReLU inside OutConv(8, 1): logits must be free to be negative")
    assert chinese.startswith("OutConv(8, 1) 里有一个 ReLU：logits 必须能取负值")
