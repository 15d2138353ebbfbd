"""The transposed-convolution explorer: its state against real nn.ConvTranspose2d layers, and the widget headless."""

import matplotlib.pyplot as plt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from unet_course.arithmetic import pytorch_output_size
from unet_course.widgets.transposed import SLIDERS, conv_transpose_explorer, explorer_state


def real_size(size, k, s, p, op, d):
    return pytorch_output_size(torch.nn.ConvTranspose2d(1, 1, k, s, p, op, dilation=d), size)[0]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 4), st.integers(0, 4), st.integers(0, 3), st.integers(1, 3))
def test_state_agrees_with_nn_conv_transpose2d(size, k, s, p, op, d):
    state = explorer_state(size, k, s, p, op, d)
    torch_size = real_size(size, k, s, p, op, d)
    assert state["torch_size"] == torch_size
    assert state["out"] == (None if torch_size == 0 else torch_size)  # 0: see the test below
    assert state["agree"]
    assert state["label"].startswith("output size:")
    assert (state["error"] is None) == (state["torch_error"] is None and torch_size != 0)


def test_the_unet_setting_doubles():
    state = explorer_state(30, 2, 2, 0, 0, 1)
    assert state["out"] == 60 and state["label"] == "output size: 60"
    assert state["formula"].splitlines()[-1].strip() == "= 60"
    assert "into 60x60, as the formula says" in state["check"]


@pytest.mark.parametrize(
    "setting, reason",
    [
        ((3, 2, 2, 0, 2, 1), "output_padding=2 must be smaller than stride (2) or dilation (1)"),
        ((3, 3, 1, 0, 1, 1), "output_padding=1 must be smaller than stride (1) or dilation (1)"),
        ((1, 1, 1, 3, 0, 1), "would be -5: the output is too small"),
    ],
)
def test_a_refused_setting_is_explained_not_raised(setting, reason):
    state = explorer_state(*setting)
    assert state["out"] is None and reason in state["error"]
    assert state["label"] == f"output size: refused - {state['error']}"
    assert "refused:" in state["formula"] and state["torch_error"]
    assert "so does the formula" in state["check"]


def test_output_padding_below_dilation_is_allowed():
    state = explorer_state(3, 3, 2, 1, 2, 3)  # 2 >= stride but < dilation: PyTorch takes it
    assert state["out"] == state["torch_size"] == 11


def find(widget, kind):
    """Every descendant of ``widget`` of class ``kind``, depth first."""
    found = [widget] if isinstance(widget, kind) else []
    for child in getattr(widget, "children", ()):
        found += find(child, kind)
    return found


def test_widget_builds_headless_with_named_sliders_and_label():
    import ipywidgets as widgets

    before = plt.get_fignums()
    box = conv_transpose_explorer(size=3)
    sliders = {slider.description: slider for slider in find(box, widgets.IntSlider)}
    assert list(sliders) == [description for _, description, *_ in SLIDERS]
    assert list(sliders) == ["input size", "kernel", "stride", "padding", "output padding", "dilation"]
    (label,) = find(box, widgets.Label)
    assert label.value == "output size: 6"
    (image,) = find(box, widgets.Image)
    assert bytes(image.value).startswith(b"\x89PNG")
    assert plt.get_fignums() == before


def test_moving_a_slider_updates_label_formula_and_picture():
    import ipywidgets as widgets

    box = conv_transpose_explorer(size=3)
    sliders = {slider.description: slider for slider in find(box, widgets.IntSlider)}
    (label,), (image,) = find(box, widgets.Label), find(box, widgets.Image)
    formula = find(box, widgets.HTML)[0]
    first_png = bytes(image.value)
    sliders["stride"].value = 3
    assert label.value == "output size: 8"  # (3 - 1) * 3 + 1 + 1
    assert "= 8" in formula.value and bytes(image.value) != bytes(first_png)
    sliders["output padding"].value = 3  # >= stride and >= dilation: refused, explained
    assert label.value.startswith("output size: refused - output_padding=3")
    assert image.layout.display == "none"
    sliders["output padding"].value = 0
    assert label.value == "output size: 8" and image.layout.display is None


def test_an_empty_output_from_pytorch_counts_as_a_refusal():
    state = explorer_state(1, 5, 2, 3, 1, 1)  # (1 - 1) * 2 - 6 + 4 + 1 + 1 = 0
    assert state["out"] is None and state["torch_size"] == 0 and state["agree"]
    assert "empty 0x0 map" in state["check"]


def test_the_explorer_speaks_the_chosen_language(monkeypatch):
    refused = {"size": 3, "kernel_size": 2, "stride": 2, "output_padding": 2}
    english = explorer_state(**refused)
    assert english["label"].startswith("output size: refused - output_padding=2 must be smaller than stride (2)")
    assert english["check"].endswith(": so does the formula.")
    monkeypatch.setenv("UNET_COURSE_LANGUAGE", "zh")
    chinese = explorer_state(**refused)
    assert chinese["label"].startswith("输出尺寸：拒绝 - output_padding=2 必须小于步幅（2）")
    assert chinese["check"].endswith("：公式同样拒绝。")
    assert explorer_state(3, 2, 2)["label"] == "输出尺寸：6"
