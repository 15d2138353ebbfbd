"""Input and data errors in English and in Chinese: the same mistake, the same numbers and the same fix in both.

Each case makes one mistake twice, with UNET_COURSE_LANGUAGE unset (English) and set to "zh", and checks
the English text and the Chinese key phrases; the last tests check that localize() turns the English
outputs stored in the notebooks into exactly what the Chinese edition raises.
"""

import importlib
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unet_course import PadToFit, UNet, i18n
from unet_course import arithmetic as A
from unet_course import metrics as M
from unet_course.data import bbbc039, folder, loaders, masks, read, sample, scale, synthetic
from unet_course.inputs import check_input
from unet_course.train import checkpoint as K
from unet_course.train import checks as C
from unet_course.train.history import History
from unet_course.train.loop import _best_state

augment = importlib.import_module("unet_course.data.augment")
predict = importlib.import_module("unet_course.train.predict").predict
TRAIN = "the training loader"


def message(fn):
    with pytest.raises(Exception) as error:
        fn()
    return str(error.value)


def both(monkeypatch, fn):
    """(English message, Chinese message) of the error ``fn`` raises."""
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    english = message(fn)
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    return english, message(fn)


def assert_phrases(text, *phrases):
    missing = [p for p in phrases if p not in text]
    assert not missing, f"{missing} not in {text!r}"


@pytest.fixture(scope="module")
def small_unet():
    return UNet(base_channels=2).eval()


# --- UNet's input checks and PadToFit -------------------------------------------------------------------------


def test_odd_height_names_the_sizes_the_level_and_the_fix_in_both(monkeypatch):
    english, chinese = both(monkeypatch, lambda: check_input(torch.zeros(1, 1, 481, 480), 1, 4))
    assert english == (
        "UNet cannot take an input of height 481: it is not divisible by 2**4 = 16: max-pooling floors "
        "481 -> 240, and on the way back 240 doubles to 480, which cannot be concatenated with the skip of size "
        "481 in up4. Nearest sizes that fit: 480 or 496. Resize or crop the image, or wrap the model as "
        "PadToFit(model) to pad and crop back."
    )
    assert chinese == (
        "UNet 无法接受高度为 481 的输入，因为 481 不能被 2**4 = 16 整除。最大池化向下取整 481 -> 240，在返回的路径上 "
        "240 翻倍为 480，无法与 up4 中尺寸为 481 的跳跃连接拼接。最接近的可用尺寸：480 或 496。请缩放或裁剪图像，"
        "或者用 PadToFit(model) 包装模型，先填充、再裁剪回原尺寸。"
    )


def test_a_width_with_only_a_size_above_and_the_valid_variant(monkeypatch):
    english, chinese = both(monkeypatch, lambda: check_input(torch.zeros(1, 1, 16, 8), 1, 4))
    assert_phrases(english, "input of width 8", "8 -> 4 -> 2 -> 1 -> 0", "in up1", "Nearest sizes that fit: 16.")
    assert_phrases(
        chinese, "宽度为 8 的输入", "8 -> 4 -> 2 -> 1 -> 0", "up1 中尺寸为 1 的跳跃连接", "最接近的可用尺寸：16。"
    )
    english, chinese = both(monkeypatch, lambda: check_input(torch.zeros(1, 1, 570, 572), 1, 4, "valid"))
    assert_phrases(english, "height 570: with valid convolutions", "and 570 does not", "fit: 556 or 572.")
    assert_phrases(
        chinese,
        "高度为 570 的输入：使用 valid 卷积时",
        "而 570 做不到",
        "最接近的可用尺寸：556 或 572。",
        "PadToFit(model)",
    )


@pytest.mark.parametrize(
    "x, english, chinese",
    [
        ([1.0], ["got list", "torch.as_tensor(x, dtype=torch.float32)"], ["实际得到 list", "torch.as_tensor("]),
        (
            torch.zeros(1, 32, 32),
            ["the batch dimension is missing", "x.unsqueeze(0)"],
            ["缺少批量维度", "x.unsqueeze(0)"],
        ),
        (torch.zeros(32, 32), ["got shape (32, 32) (2-D)", "(batch, 1, height, width)"], ["（2 维）", "(B, 1, H, W)"]),
        (
            torch.zeros(1, 1, 32, 32, dtype=torch.uint8),
            ["got dtype torch.uint8", "x.float()", "/ 255"],
            ["实际 dtype 为 torch.uint8", "x.float()", "/ 255"],
        ),
        (
            torch.zeros(2, 3, 32, 32),
            ["in_channels=1 but the input has 3 channels", "UNet(in_channels=3)"],
            ["in_channels=1 构建的，但输入有 3 个通道", "UNet(in_channels=3)", "灰度"],
        ),
    ],
    ids=["not-a-tensor", "no-batch", "2-D", "uint8", "channels"],
)
def test_each_input_mistake_in_both_languages(small_unet, monkeypatch, x, english, chinese):
    in_english, in_chinese = both(monkeypatch, lambda: small_unet(x))
    assert_phrases(in_english, *english)
    assert_phrases(in_chinese, *chinese)


def test_model_arguments_and_pad_to_fit(monkeypatch):
    english, chinese = both(monkeypatch, lambda: UNet(up_mode="nearest"))
    assert english == "up_mode='nearest' is not supported: expected one of ('transpose', 'bilinear')."
    assert chinese == "up_mode='nearest' 不受支持：应为 ('transpose', 'bilinear') 之一。"
    english, chinese = both(monkeypatch, lambda: UNet(depth=0))
    assert (english, chinese) == ("depth must be a positive whole number, got 0.", "depth 必须是正整数，实际得到 0。")
    paper = UNet(base_channels=2, padding="valid", batch_norm=False)
    english, chinese = both(monkeypatch, lambda: PadToFit(paper))
    assert_phrases(english, "PadToFit works only for padding='same' models")
    assert_phrases(chinese, "PadToFit 只适用于 padding='same' 的模型")


# --- arithmetic -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, english, chinese",
    [
        (
            lambda: A.conv_output_size(2, 5),
            "A convolution of an input of size 2 would be -2",
            "卷积作用于尺寸为 2 的输入时，输出尺寸将是 -2",
        ),
        (
            lambda: A.pool_output_size(1, 2),
            "Max-pooling of an input of size 1 would be 0",
            "最大池化作用于尺寸为 1 的输入时，输出尺寸将是 0",
        ),
        (
            lambda: A.conv_transpose_output_size(1, 1, padding=1),
            "A transposed convolution of an input of size 1 would be -1",
            "转置卷积作用于尺寸为 1 的输入时，输出尺寸将是 -1",
        ),
        (lambda: A.conv_output_size(8, 3, stride=2, padding="same"), "got stride=2", "只支持步幅 1"),
        (lambda: A.pool_output_size(8, 2, padding=2), "kernel_size // 2 = 1.", "超过了卷积核大小 2 的一半"),
        (lambda: A.conv_output_size(5, 3, padding=-1), "padding must be a whole number >= 0, got -1.", "实际得到 -1。"),
        (
            lambda: A.conv_transpose_output_size(4, 3, output_padding=-1),
            "got -1.",
            "output_padding 必须是大于等于 0 的整数",
        ),
        (
            lambda: A.conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=2),
            "output_padding=2 must be smaller than stride (2) or dilation (1)",
            "output_padding=2 必须小于步幅（2）或膨胀（1）：它只用于在步幅 2 造成歧义",
        ),
        (
            lambda: A.conv_output_size(0, 3),
            "size must be a positive whole number, got 0.",
            "size 必须是正整数，实际得到 0。",
        ),
    ],
    ids=["conv", "pool", "transpose", "same-stride", "pool-padding", "padding", "output-padding", "op-stride", "size"],
)
def test_arithmetic_refusals_in_both_languages(monkeypatch, fn, english, chinese):
    in_english, in_chinese = both(monkeypatch, fn)
    assert english in in_english
    assert chinese in in_chinese
    if "would be" in in_english:
        assert "the output is too small" in in_english and "输出太小" in in_chinese


def test_the_step_by_step_explanations_keep_their_formulas(monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    english_conv, english_transpose = A.explain_conv(10, 3, 2, 1), A.explain_conv_transpose(4, 3, 2, 1, 1)
    assert A.explain_conv(10, 3, padding="same") == "padding='same' keeps the size: out = in = 10"
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert A.explain_conv(10, 3, padding="same") == "padding='same' 保持尺寸不变，即 out = in = 10"
    assert (A.explain_conv(10, 3, 2, 1), A.explain_conv_transpose(4, 3, 2, 1, 1)) == (english_conv, english_transpose)
    assert english_transpose.endswith("= 6 - 2 + 2 + 1 + 1\n    = 8")


# --- metrics --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, english, chinese",
    [
        (
            lambda: M.dice(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5)),
            "probs and mask must have the same shape, got (2, 1, 4, 4) and (2, 1, 4, 5).",
            "probs 和 mask 的形状必须相同，实际为 (2, 1, 4, 4) 和 (2, 1, 4, 5)。",
        ),
        (
            lambda: M.dice(torch.zeros(4), torch.zeros(4)),
            "expected a batch (B, ...) of at least 2 dimensions, got shape (4,).",
            "需要至少 2 维的批量 (B, ...)，实际形状为 (4,)。",
        ),
        (
            lambda: M.multiclass_dice(torch.zeros(1, 4, 4), torch.zeros(1, 4, 4), 3),
            "pred must hold class indices (integers), got torch.float32. Use logits.argmax(1).",
            "pred 必须存放类别索引（整数），实际为 torch.float32。请使用 logits.argmax(1)。",
        ),
        (
            lambda: M.CEDiceLoss()(torch.zeros(1, 3, 4, 4), torch.full((1, 4, 4), 4)),
            "mask holds labels outside 0..2: min 4, max 4.",
            "mask 含有超出 0..2 的标签：最小值 4，最大值 4。",
        ),
        (
            lambda: M.BCEDiceLoss(dice="pixel"),
            'dice must be "batch" (sums over the batch) or "image" (per-image mean), got \'pixel\'.',
            'dice 必须是 "batch"（在整个批量上求和）或 "image"（逐图像取平均），实际得到 \'pixel\'。',
        ),
    ],
    ids=["shape", "batch", "float-labels", "labels-range", "dice-kind"],
)
def test_metric_refusals_exactly(monkeypatch, fn, english, chinese):
    assert both(monkeypatch, fn) == (english, chinese)


# --- train/checks.py: fit's arguments and first batch; predict; checkpoints -------------------------------------


@pytest.mark.parametrize(
    "fn, english, chinese",
    [
        (
            lambda: C.check_arguments(0, 1e-3, None),
            ["num_epochs", "got 0."],
            ["num_epochs 必须是大于等于 1 的整数", "0。"],
        ),
        (lambda: C.check_arguments(1, 0, None), ["lr must be positive, got 0"], ["lr 必须为正数，实际得到 0", "1e-3"]),
        (
            lambda: C.first_batch([], "the validation loader"),
            ["the validation loader is empty"],
            ["验证数据加载器是空的"],
        ),
        (
            lambda: C.split_batch((1, 2, 3), TRAIN),
            ["the training loader must yield (images, mask) pairs; it yielded a tuple of length 3."],
            ["训练数据加载器必须产出 (images, mask) 对；它产出的是长度为 3 的 tuple。"],
        ),
        (
            lambda: C.split_batch((torch.zeros(1, 4, 4), torch.zeros(1, 1, 4, 4)), TRAIN),
            ["and mask (B, 1, H, W); got shapes (1, 4, 4) and (1, 1, 4, 4)"],
            ["和掩码 (B, 1, H, W)；实际形状为 (1, 4, 4) 和 (1, 1, 4, 4)", "(1, H, W)"],
        ),
        (
            lambda: C._check_images(torch.full((1, 1, 4, 4), 255, dtype=torch.uint8), UNet(base_channels=2), TRAIN),
            ["yields torch.uint8 images (values up to 255)", "images.float() / 255"],
            ["训练数据加载器产出的是 torch.uint8 图像（最大值 255）", "images.float() / 255"],
        ),
        (
            lambda: C._check_images(torch.full((1, 1, 2, 2), float("nan")), UNet(base_channels=2), TRAIN),
            ["4 NaN or infinite pixel(s)", "torch.isfinite(images)"],
            ["有 4 个 NaN 或无穷大的像素", "torch.isfinite(images)"],
        ),
        (
            lambda: C._check_images(torch.zeros(1, 3, 4, 4), UNet(base_channels=2), TRAIN),
            ["3 channels, but the model takes in_channels=1", "UNet(in_channels=3)"],
            ["有 3 个通道，但模型的 in_channels=1", "UNet(in_channels=3)"],
        ),
        (
            lambda: C._check_mask(torch.full((1, 1, 2, 2), float("nan")), 1, TRAIN),
            ["masks with NaN or infinite values"],
            ["训练数据加载器产出的掩码含有 NaN 或无穷大的值"],
        ),
        (
            lambda: C._check_mask(torch.tensor([0.0, 255.0]), 1, TRAIN),
            ["values {0, 255}", "it looks like 0/255: use (mask > 0).float()."],
            ["取值为 {0, 255}", "0/255 掩码，请使用 (mask > 0).float()。"],
        ),
        (
            lambda: C._check_mask(torch.tensor([0.0, 0.5, 1.0]), 1, TRAIN),
            ["values {0, 0.5, 1}", "binarise it: (mask > 0.5)."],
            ["取值为 {0, 0.5, 1}", "请将其二值化：(mask > 0.5)。"],
        ),
        (
            lambda: C._check_mask(torch.arange(9), 3, TRAIN),
            ["outside 0..2 for num_classes=3", "UNet(num_classes=9)"],
            ["超出了 num_classes=3 对应的 0..2", "UNet(num_classes=9)"],
        ),
        (
            lambda: C._check_size((33, 48), UNet(base_channels=2), TRAIN),
            ["yields 33x48 images", "2**4 = 16", "PadToFit(model)", "multiple of 16."],
            ["产出的是 33x48 的图像", "2**4 = 16 整除", "PadToFit(model)", "16 的倍数。"],
        ),
        (
            lambda: C._check_size((64, 64), UNet(base_channels=2, padding="valid", batch_norm=False), TRAIN),
            ["fit trains padding='same' models", "Build UNet(padding='same')."],
            ["fit 训练的是 padding='same' 的模型", "请构建 UNet(padding='same')。"],
        ),
    ],
    ids=[
        "num_epochs",
        "lr",
        "empty",
        "not-a-pair",
        "shapes",
        "uint8",
        "nan",
        "channels",
        "mask-nan",
        "mask-255",
        "mask-soft",
        "classes",
        "size",
        "valid",
    ],
)
def test_first_batch_refusals_in_both_languages(monkeypatch, fn, english, chinese):
    in_english, in_chinese = both(monkeypatch, fn)
    assert_phrases(in_english, *english)
    assert_phrases(in_chinese, *chinese)


def test_checkpoint_dir_that_is_a_file(monkeypatch, tmp_path):
    (tmp_path / "file").write_text("x")
    english, chinese = both(monkeypatch, lambda: C.check_arguments(1, 1e-3, None, tmp_path / "file"))
    assert english == (
        f"checkpoint_dir {str(tmp_path / 'file')!r} is an existing file, not a folder: "
        "pass a folder (fit creates it) such as 'checkpoints'."
    )
    assert chinese == (
        f"checkpoint_dir {str(tmp_path / 'file')!r} 是一个已存在的文件，而不是文件夹："
        "请传入一个文件夹（fit 会创建它），例如 'checkpoints'。"
    )


def test_predict_refuses_valid_padding_and_integer_images(monkeypatch, small_unet):
    paper = UNet(base_channels=2, padding="valid", batch_norm=False)
    english, chinese = both(monkeypatch, lambda: predict(paper, torch.zeros(1, 188, 188)))
    assert_phrases(
        english, "cannot size back a padding='valid' model", "188x188 image gives 4x4", "UNet(padding='same')"
    )
    assert_phrases(chinese, "padding='valid' 的模型", "188x188 的图像得到 4x4", "重叠切块", "UNet(padding='same')")
    english, chinese = both(monkeypatch, lambda: predict(small_unet, torch.zeros(1, 16, 16, dtype=torch.uint8)))
    assert_phrases(english, "got dtype torch.uint8: convert with .float() / 255.")
    assert_phrases(chinese, "实际 dtype 为 torch.uint8：请用 .float() / 255 转换。")


def test_checkpoint_refusals(monkeypatch, tmp_path):
    english, chinese = both(monkeypatch, lambda: K.read_checkpoint(tmp_path / "none.pt"))
    assert english == f"No checkpoint at {tmp_path / 'none.pt'}: train with fit(..., checkpoint_dir=...) first."
    assert chinese == f"{tmp_path / 'none.pt'} 处没有检查点：请先用 fit(..., checkpoint_dir=...) 训练。"
    K.save_checkpoint(tmp_path / "u.pt", UNet(base_channels=2))
    english, chinese = both(monkeypatch, lambda: K.load_checkpoint(tmp_path / "u.pt", UNet(base_channels=4)))
    assert_phrases(english, "u.pt was saved from UNet(", "base_channels=2", "(load_model('u.pt') does it for you).")
    assert_phrases(chinese, "u.pt 保存自 UNet(", "base_channels=4", "（load_model('u.pt') 会替你完成）。")


# --- data -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, english, chinese",
    [
        (
            lambda: scale.by_dtype(np.full((1, 2, 2), 3530, np.uint16), "cell.tif"),
            ["cell.tif is a 16-bit file whose values stay below 4096 (max 3530)", "normalize=12", "normalize=16"],
            ["cell.tif 是 16 位文件，但数值都低于 4096（最大值 3530）", "12 位相机", "normalize=12", "normalize=16"],
        ),
        (
            lambda: scale.normalize(np.full((1, 2, 2), 5000, np.uint16), 12, "b.tif"),
            ["[5000, 5000], outside [0, 4095] that normalize=12 expects"],
            ["[5000, 5000]，超出了 normalize=12 所要求的 [0, 4095]"],
        ),
        (
            lambda: scale.check_method("zscore"),
            ["normalize='zscore' is not supported"],
            ["normalize='zscore' 不受支持"],
        ),
        (
            lambda: masks.binary_target(np.ones((4, 4)), "x.png"),
            ["x.png is 100.0% foreground (more than max_foreground=0.95)", "max_foreground=1.0."],
            ["x.png 中 100.0% 是前景（超过 max_foreground=0.95）", "反转的掩码", "max_foreground=1.0。"],
        ),
        (
            lambda: masks.mask_labels(np.zeros((1, 2, 2), np.uint8), np.array([[0, 255], [0, 0]]), "m.png"),
            ["only in the alpha (transparency) channel"],
            ["m.png 的形状只在 alpha（透明度）通道中", "不带 alpha"],
        ),
        (
            lambda: masks.class_target(np.array([[0, 4], [5, 1]]), False, "m.png", 3),
            ["class values [4, 5] outside 0..2 (num_classes=3)"],
            ["超出 0..2 的类别值 [4, 5]（num_classes=3）"],
        ),
        (
            lambda: masks.whole_numbers(np.array([[0.5, 1.0]]), "m.png"),
            ["(e.g. 0.5, or NaN)"],
            ["（例如 0.5，或 NaN）", "最近邻"],
        ),
        (
            lambda: read.check_finite(np.array([[np.nan, np.inf, 1.0]]), "n.tif"),
            ["n.tif has 2 NaN or infinite pixels", "np.nan_to_num"],
            ["n.tif 有 2 个 NaN 或无穷大的像素", "np.nan_to_num"],
        ),
        (
            lambda: read.select_channels(np.zeros((3, 4, 4)) + np.arange(3)[:, None, None], "rgb.png"),
            ["rgb.png has 3 channel(s) but in_channels=1: pass color='gray'"],
            ["rgb.png 有 3 个通道，但 in_channels=1：传入 color='gray'", "color='rgb'"],
        ),
        (
            lambda: read.select_channels(np.zeros((1, 4, 4)), "g.png", 2, "rgb"),
            ["in_channels=2 (after color='rgb'): pass"],
            ["in_channels=2（已应用 color='rgb'）：传入"],
        ),
        (lambda: folder.ImageMaskPairs([]), ["no image/mask pairs were given"], ["没有给出任何图像/掩码对"]),
        (
            lambda: loaders.split_pairs([1, 2]),
            ["2 pairs cannot be split", "at least 3."],
            ["2 个图像对无法划分", "至少需要 3 个"],
        ),
        (
            lambda: bbbc039.BBBC039("training"),
            ["split='training' is not a BBBC039 split: expected one of ('train', 'val', 'test')."],
            ["split='training' 不是 BBBC039 的划分：应为 ('train', 'val', 'test') 之一。"],
        ),
        (
            lambda: sample.sample_nuclei_pairs("all"),
            ["split='all' is not a split of the sample"],
            ["不是样本的划分", "None（全部）"],
        ),
        (
            lambda: synthetic.SyntheticCells(2, 16)[5],
            ["index 5 is out of range", "of 2 images."],
            ["索引 5 超出了含 2 张图像"],
        ),
        (lambda: synthetic.make_cells(16, 0, glow=1), ["unknown options ['glow']"], ["收到未知选项 ['glow']"]),
        (
            lambda: augment.random_crop(torch.zeros(1, 4, 4), torch.zeros(1, 4, 4), np.random.default_rng(0), 8),
            ["crop (8, 8) is larger than the image (4, 4)"],
            ["裁剪尺寸 (8, 8) 大于图像尺寸 (4, 4)"],
        ),
    ],
    ids=[
        "12-bit",
        "bit-depth",
        "normalize",
        "alpha-trap",
        "alpha-only",
        "classes",
        "fractions",
        "nan",
        "rgb",
        "rgb-after-color",
        "no-pairs",
        "split",
        "bbbc039-split",
        "sample-split",
        "index",
        "options",
        "crop",
    ],
)
def test_data_refusals_in_both_languages(monkeypatch, fn, english, chinese):
    in_english, in_chinese = both(monkeypatch, fn)
    assert_phrases(in_english, *english)
    assert_phrases(in_chinese, *chinese)


def test_folder_refusals_name_the_files(monkeypatch, tmp_path):
    empty, images = tmp_path / "empty", tmp_path / "images"
    empty.mkdir()
    images.mkdir()
    (images / "a.png").write_text("")
    english, chinese = both(monkeypatch, lambda: folder.find_pairs(empty, empty))
    assert_phrases(english, f"{empty} holds no images: expected files ending in .png, .tif, .tiff.")
    assert_phrases(chinese, f"{empty} 中没有图像：需要扩展名为 .png, .tif, .tiff 的文件。")
    english, chinese = both(monkeypatch, lambda: folder.find_pairs(images, empty, "_mask"))
    assert_phrases(english, f"{images / 'a.png'} has no mask: expected {empty / 'a_mask'}.png or .tif.")
    assert_phrases(chinese, f"{images / 'a.png'} 没有掩码：应有 {empty / 'a_mask'}.png 或 .tif。", "mask_suffix")
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(tmp_path / "i.png")
    Image.fromarray(np.zeros((8, 6), np.uint8)).save(tmp_path / "m.png")
    options = dict(normalize="percentile", in_channels=1, color=None, mask_mode="binary")
    options.update(num_classes=None, max_foreground=0.95)
    english, chinese = both(monkeypatch, lambda: folder.load_pair(tmp_path / "i.png", tmp_path / "m.png", options))
    assert_phrases(english, "is 8x8 but its mask", "is 8x6: an image and its mask must have the same height and width.")
    assert_phrases(chinese, "的尺寸是 8x8，但其掩码", "的尺寸是 8x6：图像与其掩码的高和宽必须相同。")


def test_the_mixed_sizes_of_validation_and_test_images(monkeypatch):
    class Sizes:
        sizes = [(8, 8), (8, 16)]

        def same_size(self):
            return False

    english, chinese = both(monkeypatch, lambda: loaders.eval_loader(Sizes(), 2, "validation"))
    assert english.startswith("the validation images have different sizes ([(8, 8), (8, 16)]...): a batch of 2")
    assert chinese.startswith("验证图像尺寸不一（[(8, 8), (8, 16)]...）：无法堆叠成大小为 2 的批量")
    english, chinese = both(monkeypatch, lambda: loaders.eval_loader(Sizes(), 2, "test"))
    assert english.startswith("the test images have") and chinese.startswith("测试图像尺寸不一")


def test_bbbc039_not_there_says_how_to_get_it_in_both(monkeypatch, tmp_path):
    english, chinese = both(monkeypatch, lambda: bbbc039.BBBC039(root=tmp_path))
    where = tmp_path / "BBBC039"
    assert english == (
        f"BBBC039 is not in {where}: expected metadata/, images/ and masks/ there. Pass download=True (needs "
        "internet). To use BBBC039 without this download, fetch images.zip, masks.zip, metadata.zip from "
        f"https://data.broadinstitute.org/bbbc/BBBC039/ with a browser, put them in {where}, and run again; or "
        "train on the synthetic set instead: SyntheticCells(num_images)."
    )
    assert chinese == (
        f"{where} 中没有 BBBC039：那里应有 metadata/、images/ 和 masks/。请传入 download=True（需要联网）。"
        "若不想通过这里下载 BBBC039，可以用浏览器从 https://data.broadinstitute.org/bbbc/BBBC039/ 下载 "
        f"images.zip, masks.zip, metadata.zip，放到 {where} 中，再重新运行；或者改用合成数据集训练："
        "SyntheticCells(num_images)。"
    )


def test_a_failed_download_says_offline_and_the_manual_steps(monkeypatch, tmp_path):
    url = (tmp_path / "missing.zip").as_uri()
    english, chinese = both(monkeypatch, lambda: bbbc039.download(url, tmp_path / "masks.zip", "0" * 64, False))
    assert_phrases(english, f"could not download {url}", "is this machine offline?", f"put them in {tmp_path},")
    assert_phrases(
        chinese, f"无法下载 {url}", "这台机器是否处于离线状态？", f"放到 {tmp_path} 中", "SyntheticCells(num_images)。"
    )


# --- localize(): the notebooks' stored English outputs become what the Chinese edition raises -----------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda: check_input(torch.zeros(1, 1, 481, 480), 1, 4),  # notebook 04
        lambda: scale.by_dtype(np.full((1, 2, 2), 3530, np.uint16), "images/cell_0.tif"),  # notebook 06
        lambda: masks.binary_target(np.ones((4, 4)), "all_foreground/masks/x.png"),  # notebook 06
        lambda: bbbc039.BBBC039(root="../data"),  # notebook 06
        lambda: A.conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=2),  # notebook 03
        lambda: A.conv_transpose_output_size(1, 1, padding=1),
        lambda: K.load_checkpoint(K.save_checkpoint(SAVED, UNet(base_channels=2)), UNet(base_channels=4)),  # 07
        lambda: C._check_mask(torch.tensor([0.0, 0.5, 1.0]), 1, "loader"),
    ],
    ids=["04-size", "06-12-bit", "06-alpha-trap", "06-bbbc039", "03-output-padding", "transpose", "07-ckpt", "mask"],
)
def test_localize_turns_the_english_rendering_into_the_chinese_one(monkeypatch, fn, tmp_path):
    monkeypatch.chdir(tmp_path)
    english, chinese = both(monkeypatch, fn)
    assert english != chinese
    assert i18n.localize(f"ValueError: {english}\n", "zh") == f"ValueError: {chinese}\n"


SAVED = "best.pt"


# --- the other refusals, one case each: the key phrase in English and in Chinese ---------------------------------

PLAIN = dict(normalize="percentile", in_channels=1, color=None, mask_mode="binary", num_classes=None)


def refusals(tmp_path):
    """{name: (fn, english phrase, chinese phrase)} of refusals the tests above do not make."""
    (tmp_path / "bad.png").write_text("not a png")
    (tmp_path / "x.zip").write_text("not a zip")
    (tmp_path / "dup").mkdir()
    (tmp_path / "dup" / "a.png").write_text("")
    (tmp_path / "dup" / "a.tif").write_text("")
    torch.save({"x": 1}, tmp_path / "other.pt")
    archive = tmp_path / "cache" / "BBBC039" / "images.zip"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"abc")
    (archive.parent / "metadata").mkdir()
    (archive.parent / "metadata" / "training.txt").write_text("n1.png\n")

    class Mixed:
        pairs, sizes = [("x.png", "y.png"), ("z.png", "w.png")], [(8, 8), (8, 16)]

        def same_size(self):
            return False

    return {
        "unreadable": (lambda: read.read_array(tmp_path / "bad.png"), "cannot read", "无法读取"),
        "stack": (lambda: read.to_planes(np.zeros((20, 8, 8, 8)), "z.tif"), "(20, 8, 8, 8)", "平面堆栈 (Z, H, W)"),
        "negative": (lambda: masks.whole_numbers(np.array([[-1, 1]]), "m.png"), "(min -1)", "含有负值（最小值 -1）"),
        "mask-channels": (
            lambda: masks.mask_labels(np.zeros((4, 2, 2), np.uint8), None, "m.png"),
            "m.png has 4 channels",
            "m.png 有 4 个通道",
        ),
        "colour-classes": (
            lambda: masks.class_target(np.zeros((2, 2)), True, "m.png", 3),
            "RGB colours",
            "RGB 颜色编码",
        ),
        "mask-mode": (lambda: masks.check_mask_mode("instance", None), "mask_mode='instance' is not", "不受支持"),
        "num-classes": (lambda: masks.check_mask_mode("classes", 1), "got 1.", "num_classes 必须是大于等于 2 的整数"),
        "labels-3d": (lambda: masks.instance_to_classes(np.zeros((1, 2, 2))), "(1, 2, 2)", "labels 必须是单个平面"),
        "int32": (lambda: scale.by_dtype(np.zeros((1, 2, 2), np.int32), "a.tif"), "int32 pixels", "像素类型为 int32"),
        "float-range": (
            lambda: scale.by_dtype(np.full((1, 2, 2), 3.5, np.float32), "a.tif"),
            "[3.5, 3.5], outside [0, 1]",
            "[3.5, 3.5]，超出了 normalize='dtype' 所要求的 [0, 1]",
        ),
        "ambiguous": (lambda: folder.image_files(tmp_path / "dup"), "two files named 'a'", "两个名为 'a' 的文件"),
        "not-a-folder": (lambda: folder.image_files(tmp_path / "bad.png"), "is not a folder", "不是文件夹"),
        "unknown-option": (
            lambda: folder.ImageMaskPairs([("a", "b")], flavour=1),
            "['flavour']",
            "未知选项 ['flavour']",
        ),
        "color": (lambda: folder.check_options({**PLAIN, "color": "hsv"}), "color='hsv'", "color='hsv' 不受支持"),
        "gray-3": (
            lambda: folder.check_options({**PLAIN, "color": "gray", "in_channels": 3}),
            "in_channels=3",
            "请二选一",
        ),
        "in_channels": (
            lambda: folder.check_options({**PLAIN, "in_channels": 0}),
            "got 0.",
            "in_channels 必须是正整数",
        ),
        "mixed-train": (lambda: loaders.check_train_sizes(Mixed(), None, 4), "crop=None", "且 crop=None"),
        "crop": (lambda: loaders.check_train_sizes(Mixed(), 12, 4), "smaller than crop=12", "小于 crop=12"),
        "num_draws": (lambda: loaders.EpochSampler(0), "num_draws must be", "num_draws 必须是正整数"),
        "sampler-state": (
            lambda: loaders.EpochSampler(4).load_state_dict({"seed": 1, "num_draws": 5, "epoch": 0}),
            "seed=1, num_draws=5",
            "但状态中是 seed=1、num_draws=5",
        ),
        "bad-zip": (
            lambda: bbbc039.extract_archive(tmp_path / "x.zip", tmp_path),
            "not a valid zip",
            "不是有效的 zip 文件",
        ),
        "sha256": (
            lambda: bbbc039.fetch_bbbc039(tmp_path / "cache", checksums={"images.zip": "1" * 64}),
            "does not match its sha256",
            "与其 sha256（" + "1" * 64 + "）不符",
        ),
        "listed": (
            lambda: bbbc039.official_pairs(archive.parent, "train"),
            "is listed in training.txt but missing",
            "列在 training.txt 中，但文件不存在",
        ),
        "splits": (lambda: bbbc039.official_splits(tmp_path), "run BBBC039(download=True) once", "请先运行一次"),
        "size": (lambda: synthetic.as_size(4), "got (4, 4).", "实际得到 (4, 4)。"),
        "num_images": (lambda: synthetic.SyntheticCells(0), "num_images must be", "num_images 必须是正整数"),
        "key": (lambda: augment.as_key("a"), "key 'a' is not an index", "键 'a' 既不是索引"),
        "augment-empty": (lambda: augment.Augmented([]), "empty dataset", "空数据集"),
        "target_dice": (lambda: C.check_arguments(1, 1e-3, 1.5), "(0, 1], got 1.5.", "之内，实际得到 1.5。"),
        "not-tensors": (
            lambda: C.split_batch((np.zeros(2), torch.zeros(2)), TRAIN),
            "(ndarray, Tensor)",
            "必须产出张量",
        ),
        "not-a-tuple": (lambda: C.split_batch({"a": 1}, TRAIN), "it yielded a dict.", "它产出的是 dict。"),
        "batch-differs": (
            lambda: C.split_batch((torch.zeros(2, 1, 4, 4), torch.zeros(1, 1, 4, 4)), TRAIN),
            "differ in batch size or H, W.",
            "的批量大小或 H、W 不一致。",
        ),
        "predict-shape": (
            lambda: predict(UNet(base_channels=2), torch.zeros(16, 16)),
            "(16, 16).",
            "实际形状为 (16, 16)。",
        ),
        "threshold": (lambda: predict(UNet(base_channels=2), torch.zeros(1, 16, 16), 2), "got 2.", "实际得到 2。"),
        "checkpoint-format": (
            lambda: K.read_checkpoint(tmp_path / "other.pt"),
            "not a unet-course",
            "不是 unet-course",
        ),
        "model-class": (lambda: K.model_class("Frog", "a.pt"), "a.pt holds a Frog", "a.pt 保存的是 Frog"),
    }


def _names():
    """The names of ``refusals``' cases, for parametrize (their functions are built per test, in its tmp_path)."""
    with tempfile.TemporaryDirectory() as folder:
        return sorted(refusals(Path(folder)))


@pytest.mark.parametrize("name", _names())
def test_every_other_refusal_in_both_languages(monkeypatch, tmp_path, name):
    fn, english, chinese = refusals(tmp_path)[name]
    in_english, in_chinese = both(monkeypatch, fn)
    assert english in in_english
    assert chinese in in_chinese


def test_diverging_best_and_last_checkpoints(monkeypatch, tmp_path):
    model = UNet(base_channels=2)
    K.save_checkpoint(tmp_path / "best.pt", model, epoch=3)
    history = History()
    monkeypatch.setattr(History, "best_epoch", property(lambda self: 5))
    english, chinese = both(monkeypatch, lambda: _best_state(model, history, {"epoch": 7}, tmp_path / "last.pt"))
    assert english.startswith("last.pt names epoch 5 as the best, but best.pt holds epoch 3: the two files come")
    assert chinese.startswith("last.pt 记录的最佳轮次是第 5 轮，但 best.pt 保存的是第 3 轮：这两个文件来自不同的训练。")


def test_too_few_channels_asks_for_more_not_for_grayscale(monkeypatch):
    english, chinese = both(monkeypatch, lambda: check_input(torch.zeros(1, 1, 32, 32), 3, 4))
    assert english.endswith("Build UNet(in_channels=1), or give the images 3 channels.") and "grayscale" not in english
    assert chinese.endswith("请构建 UNet(in_channels=1)，或者让图像有 3 个通道。") and "灰度" not in chinese
    english, chinese = both(monkeypatch, lambda: check_input(torch.zeros(1, 3, 32, 32), 1, 4))
    assert english.endswith("Build UNet(in_channels=3) or convert the images (e.g. to grayscale).")
    assert chinese.endswith("（例如转为灰度）。")


def test_a_float64_input_is_refused_before_pytorch_complains(monkeypatch):
    from unet_course import UNet

    model = UNet(base_channels=4, depth=2)
    english, chinese = both(monkeypatch, lambda: model(torch.zeros(1, 1, 16, 16, dtype=torch.float64)))
    assert english.startswith("UNet's weights are torch.float32 but the input is torch.float64: convert the input")
    assert "torch.from_numpy(array).float()" in english
    assert chinese.startswith("UNet 的权重是 torch.float32，但输入是 torch.float64：请用 x.to(torch.float32) 转换输入")
    assert model(torch.zeros(1, 1, 16, 16)).shape == (1, 1, 16, 16)  # float32 still runs
    with torch.autocast("cpu", dtype=torch.bfloat16):  # mixed precision casts a half-precision input: not refused
        assert model(torch.zeros(1, 1, 16, 16, dtype=torch.bfloat16)).shape == (1, 1, 16, 16)
        with pytest.raises(TypeError, match="输入是 torch.float64"):  # autocast leaves doubles alone (zh is set here)
            model(torch.zeros(1, 1, 16, 16, dtype=torch.float64))


def test_a_mask_saved_as_jpeg_is_named_as_such(monkeypatch, tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    (images / "a.png").write_text("")
    (masks / "a.jpg").write_text("")
    english, chinese = both(monkeypatch, lambda: folder.find_pairs(images, masks))
    assert_phrases(english, f"{images / 'a.png'} has its mask as {masks / 'a.jpg'}, a JPEG", f"{masks / 'a'}.png.")
    assert_phrases(
        chinese, f"{images / 'a.png'} 的掩码是 {masks / 'a.jpg'}，一个 JPEG 文件", "请把掩码存为 PNG 或 TIFF"
    )
