"""The scatter picture's numbers against PyTorch's transposed convolutions, and the figures it draws."""

import os

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from unet_course.viz.transposed import (
    conv_transpose_scatter,
    conv_transpose_scatter_2d,
    draw_conv_transpose,
    draw_conv_transpose_2d,
    draw_conv_transpose_gallery,
)

settings_strategy = st.tuples(
    st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(0, 3), st.integers(1, 3)
)


def torch_conv_transpose(x, weight, stride, padding, output_padding, dilation):
    """PyTorch's answer for a single-channel input, or None if it refuses."""
    conv = F.conv_transpose1d if x.ndim == 1 else F.conv_transpose2d
    x, weight = torch.as_tensor(x)[None, None], torch.as_tensor(weight)[None, None]
    try:
        return conv(x, weight, None, stride, padding, output_padding, 1, dilation)[0, 0].numpy()
    except RuntimeError:
        return None


def ours(scatter, *args, **kwargs):
    try:
        return scatter(*args, **kwargs)["output"]
    except ValueError:
        return None


@settings(max_examples=200, deadline=None)
@given(settings_strategy, st.integers(0, 2**16))
def test_1d_scatter_matches_conv_transpose1d(setting, seed):
    size, k, s, p, op, d = setting
    rng = np.random.default_rng(seed)
    x, weight = rng.integers(-3, 4, size).astype(float), rng.integers(-3, 4, k).astype(float)
    expected = torch_conv_transpose(x, weight, s, p, op, d)
    got = ours(conv_transpose_scatter, size, k, s, p, op, d, x=x, weight=weight)
    assert (got is None) == (expected is None)
    if got is not None:
        np.testing.assert_allclose(got, expected)


@settings(max_examples=100, deadline=None)
@given(settings_strategy, st.integers(0, 2**16))
def test_2d_scatter_matches_conv_transpose2d(setting, seed):
    size, k, s, p, op, d = setting
    rng = np.random.default_rng(seed)
    x, weight = rng.integers(-3, 4, (size, size)).astype(float), rng.integers(-3, 4, (k, k)).astype(float)
    expected = torch_conv_transpose(x, weight, s, p, op, d)
    got = ours(conv_transpose_scatter_2d, size, k, s, p, op, d, x=x, weight=weight)
    assert (got is None) == (expected is None)
    if got is not None:
        np.testing.assert_allclose(got, expected)


def test_kernel_2_stride_2_copies_each_input_into_its_own_two_cells():
    data = conv_transpose_scatter(3, 2, 2)
    assert data["output"].tolist() == [1, 1, 2, 2, 3, 3]
    assert data["out"] == 6 and data["start"] == 0


def test_default_values_count_who_landed_where():
    data = conv_transpose_scatter(3, 3, 2, padding=1, output_padding=1)
    assert data["canvas"].tolist() == [1, 1, 3, 2, 5, 3, 3, 0]  # the last cell is output_padding's
    assert data["output"].tolist() == [1, 3, 2, 5, 3, 3]


def test_wrong_shaped_values_are_refused():
    with pytest.raises(ValueError, match="shape"):
        conv_transpose_scatter(3, 2, 2, weight=[1, 2, 3])


@pytest.mark.parametrize(
    "draw, args",
    [
        (draw_conv_transpose, (3, 3, 2, 1, 1)),
        (draw_conv_transpose, (4, 2, 2)),
        (draw_conv_transpose_2d, (2, 3, 2, 1, 1)),
        (
            draw_conv_transpose_gallery,
            ([{"kernel_size": 2, "stride": 2}, {"kernel_size": 4, "stride": 2, "padding": 1}],),
        ),
    ],
)
def test_figures_are_returned_and_not_left_open(draw, args):
    before = plt.get_fignums()
    fig = draw(*args)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    titles = [ax.get_title() for ax in fig.axes] + [fig.get_suptitle()]
    assert any("out=" in title for title in titles)


def test_picture_writes_the_formula_with_numbers():
    fig = draw_conv_transpose(3, 3, 2, 1, 1)
    texts = [text.get_text() for text in fig.texts]
    assert any("= 6" in text and "(3 - 1) * 2" in text for text in texts)


def test_a_refused_setting_raises_with_the_reason():
    with pytest.raises(ValueError, match="output_padding=2 must be smaller"):
        draw_conv_transpose(3, 2, 2, output_padding=2)


def test_gallery_explains_a_refused_setting_instead_of_failing():
    fig = draw_conv_transpose_gallery(
        [{"kernel_size": 2, "stride": 2}, {"kernel_size": 2, "stride": 2, "output_padding": 2}]
    )
    assert len(fig.axes) == 2
    assert "refused" in fig.axes[1].get_title()
    assert "must be smaller than stride" in " ".join(t.get_text() for t in fig.axes[1].texts).replace("\n", " ")


def test_2d_footprints_tile_the_output_without_overlap_for_kernel_2_stride_2():
    data = conv_transpose_scatter_2d(3, 2, 2)
    hits = np.zeros_like(data["canvas"])
    for rows, cols in data["footprints"].values():
        hits[np.ix_(rows, cols)] += 1
    assert (hits == 1).all() and data["out"] == 6
    assert data["output"][4:, 4:].tolist() == [[9, 9], [9, 9]]  # the last input pixel (value 9) as a 2x2 block


def test_figure_text_stays_english_in_the_chinese_edition(monkeypatch):
    """Matplotlib on Binder and Colab has no CJK font: a refusal drawn into a figure is written in English."""
    monkeypatch.setenv("UNET_COURSE_LANGUAGE", "zh")
    fig = draw_conv_transpose_gallery([{"kernel_size": 2, "stride": 2, "output_padding": 2}], size=3)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "output_padding=2 must be smaller than stride" in texts
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in texts)
    assert os.environ["UNET_COURSE_LANGUAGE"] == "zh"  # the setting is back once the figure is drawn
    plt.close(fig)
