"""The message layer: tr() in English and Chinese, the one setting, and localize() of rendered English output."""

import json

import pytest

from unet_course import i18n

CATALOG = {
    "messages": {
        "UNet cannot take an input of {axis} {size}: {why}. Nearest sizes that fit: {nearest}.": (
            "UNet 无法接受{axis}为 {size} 的输入：{why}。最接近的可用尺寸：{nearest}。"
        ),
        "it is not divisible by {factor}": "它不能被 {factor} 整除",
        "{name} OK: {n:,} parameters.": "{name} 通过：{n:,} 个参数。",
        "Use {{braces}} around {name}.": "在 {name} 两边加上 {{花括号}}。",
        "Scores: loss {loss:.3f}, Dice {dice:.3f}.": "得分：损失 {loss:.3f}，Dice {dice:.3f}。",
        "In {name}, {shown} are frozen.": "在 {name} 中，{shown} 被冻结了。",
        "{loader} yields uint8 images.": "{loader}给出的是 uint8 图像。",
    },
    "words": {"height": "高度", "width": "宽度", "the training loader": "训练集的加载器"},
}


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    (tmp_path / "a.json").write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOG", tmp_path)
    i18n.catalog.cache_clear()
    i18n._matchers.cache_clear()
    yield
    i18n.catalog.cache_clear()
    i18n._matchers.cache_clear()


def test_english_is_the_default_and_the_template_itself(catalog, monkeypatch):
    monkeypatch.delenv(i18n.VARIABLE, raising=False)
    assert i18n.language() == "en"
    assert i18n.tr("{name} OK: {n:,} parameters.", name="UNet", n=31036481) == "UNet OK: 31,036,481 parameters."


def test_chinese_template_filled_and_words_translated(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    why = i18n.tr("it is not divisible by {factor}", factor=16)
    message = i18n.tr(
        "UNet cannot take an input of {axis} {size}: {why}. Nearest sizes that fit: {nearest}.",
        axis="height",
        size=481,
        why=why,
        nearest="480 or 496",
    )
    assert message == "UNet 无法接受高度为 481 的输入：它不能被 16 整除。最接近的可用尺寸：480 or 496。"
    assert i18n.tr("{name} OK: {n:,} parameters.", name="UNet", n=31036481) == "UNet 通过：31,036,481 个参数。"
    assert i18n.tr("A message the catalog lacks: {x}.", x=1) == "A message the catalog lacks: 1."


@pytest.mark.parametrize("value", ["zh-CN", "zh_cn", "ZH", "zh-Hans"])
def test_spellings_of_chinese_are_accepted(value, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, value)
    assert i18n.language() == "zh"


def test_an_unknown_language_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "fr")
    with pytest.raises(
        ValueError,
        match=r"UNET_COURSE_LANGUAGE='fr' is not a language of the course: use one of 'en', 'zh'",
    ):
        i18n.language()


def test_set_language_reaches_the_environment_and_refuses_without_changing_it(monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "en")
    i18n.set_language("zh")
    assert i18n.language() == "zh"
    with pytest.raises(ValueError, match="'klingon'"):
        i18n.set_language("klingon")
    assert i18n.language() == "zh"


def test_localize_turns_rendered_english_into_the_chinese_rendering(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "en")
    english = i18n.tr(
        "UNet cannot take an input of {axis} {size}: {why}. Nearest sizes that fit: {nearest}.",
        axis="width",
        size=481,
        why=i18n.tr("it is not divisible by {factor}", factor=16),
        nearest="480 or 496",
    )
    text = f"ValueError: {english}\nUNet OK: 31,036,481 parameters.\n"
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    chinese = i18n.tr(
        "UNet cannot take an input of {axis} {size}: {why}. Nearest sizes that fit: {nearest}.",
        axis="width",
        size=481,
        why=i18n.tr("it is not divisible by {factor}", factor=16),
        nearest="480 or 496",
    )
    expected = f"ValueError: {chinese}\nUNet 通过：31,036,481 个参数。\n"
    assert i18n.localize(text) == expected
    assert i18n.localize(text, "en") == text  # English output stays as it is
    assert i18n.localize("Nothing of the catalog here.") == "Nothing of the catalog here."


def test_localize_keeps_literal_braces(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert i18n.localize("Use {braces} around x.") == "在 x 两边加上 {花括号}。"


def test_a_decimal_point_is_not_the_end_of_a_message(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert i18n.localize("Scores: loss 0.706, Dice 0.608.\n") == "得分：损失 0.706，Dice 0.608。\n"


def test_a_value_with_a_comma_inside_brackets_stays_one_value(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert (
        i18n.localize("In DoubleConv(4, 4), conv.weight are frozen.")
        == "在 DoubleConv(4, 4) 中，conv.weight 被冻结了。"
    )


def test_a_leading_word_field_keeps_what_stands_before_the_message(catalog, monkeypatch):
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    text = "ValueError: the training loader yields uint8 images.\n"
    assert i18n.localize(text) == "ValueError: 训练集的加载器给出的是 uint8 图像。\n"


def test_training_reports_in_chinese(monkeypatch):
    """fit's own lines (device, precision, resume, Ctrl-C) follow the setting too, with the same numbers."""
    import torch

    from unet_course.train.device import describe_precision

    threads = torch.get_num_threads()
    monkeypatch.setenv(i18n.VARIABLE, "en")
    english = describe_precision("cpu")
    assert english == f"Training on the CPU ({threads} threads): fp32, default memory layout (NCHW), no TF32."
    monkeypatch.setenv(i18n.VARIABLE, "zh")
    assert describe_precision("cpu") == f"在 CPU（{threads} 个线程）上训练：fp32，默认内存布局（NCHW），不使用 TF32。"
    assert i18n.localize(english) == describe_precision("cpu")
    assert describe_precision("mps").startswith("在 Apple 的 GPU（MPS）上训练：fp32，")
