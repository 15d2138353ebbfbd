import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from unet_course import UNet, trace_shapes
from unet_course.viz.architecture import ROLE_COLOURS, draw_unet, draw_unets, plot_breakdown, plot_encoder, unet_stages
from unet_course.viz.data import plot_image_vs_pixel_labels
from unet_course.viz.features import show_feature_maps


@pytest.fixture(scope="module")
def small_trace():
    return trace_shapes(UNet(in_channels=2, base_channels=4, num_classes=3), (1, 2, 32, 48))


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_stages_come_from_the_trace(small_trace):
    stages = unet_stages(small_trace)
    assert [name for name, *_ in stages] == [
        "input",
        "in_conv",
        *(f"down{i}" for i in range(1, 5)),
        "up1",
        "up2",
        "up3",
        "up4",
        "out_conv",
    ]
    assert stages[0][3] == (2, 32, 48)
    assert [level for _, _, level, _ in stages] == [0, 0, 1, 2, 3, 4, 3, 2, 1, 0, 0]
    assert stages[5][3] == (64, 2, 3)  # down4: 4 * 2**4 channels at 32 / 16 x 48 / 16


def test_the_u_has_a_box_per_stage_and_arrows_for_stages_and_skips(small_trace):
    fig = draw_unet(small_trace)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 11  # input, in_conv, 4 downs, 4 ups, out_conv
    assert len(arrows) == 10 + 4  # between consecutive stages, plus one skip per level
    assert sum(a.get_linestyle() == "--" for a in arrows) == 4
    labels = texts(fig)
    for shape in [
        "2\u00d732\u00d748",
        "4\u00d732\u00d748",
        "64\u00d72\u00d73",
        "32\u00d74\u00d76",
        "3\u00d732\u00d748",
    ]:
        assert shape in labels
    assert labels.count("concatenate") == 4
    assert "1\u00d72\u00d732\u00d748" in ax.get_title()


def test_box_heights_follow_the_resolution_and_skips_say_crop_for_the_paper():
    trace = trace_shapes(UNet.paper(), (1, 1, 572, 572), max_depth=1)
    fig = draw_unet(trace)
    boxes = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    heights = [b.get_height() for b in boxes]
    assert heights[1] / heights[2] == pytest.approx(568 / 280)  # in_conv vs down1
    assert texts(fig).count("crop + concatenate") == 4
    assert "2\u00d7388\u00d7388" in texts(fig)
    assert boxes[1].get_facecolor()[:3] == pytest.approx(
        tuple(int(ROLE_COLOURS["in_conv"][i : i + 2], 16) / 255 for i in (1, 3, 5))
    )


def test_two_us_on_one_scale():
    same = trace_shapes(UNet(base_channels=4), (1, 1, 48, 48), max_depth=1)
    bigger = trace_shapes(UNet(base_channels=4), (1, 1, 96, 96), max_depth=1)
    fig = draw_unets([same, bigger], ["48", "96"])
    assert [ax.get_title() for ax in fig.axes] == ["48", "96"]
    first_boxes = [[p for p in ax.patches if isinstance(p, Rectangle)][0] for ax in fig.axes]
    assert first_boxes[1].get_height() == pytest.approx(2 * first_boxes[0].get_height())


def test_a_trace_that_is_not_a_unet_is_refused():
    trace = trace_shapes(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)), (1, 1, 8, 8))
    with pytest.raises(ValueError, match="draw_unet needs a trace of a UNet"):
        draw_unet(trace)


def test_encoder_plot_shows_sizes_and_channels(small_trace):
    fig = plot_encoder(small_trace)
    left, right = fig.axes
    assert [t.get_text() for t in left.get_xticklabels()] == ["in_conv", "down1", "down2", "down3", "down4"]
    assert [b.get_height() for b in left.patches] == [32, 16, 8, 4, 2]
    assert [b.get_height() for b in right.patches] == [4, 8, 16, 32, 64]
    assert "64" in texts(fig)


def test_breakdown_bars_and_shares():
    fig = plot_breakdown({"a": 3_000_000, "b": 1_000_000}, {"a": 2e9, "b": 2e9}, title="where")
    params, work = fig.axes
    assert [b.get_width() for b in params.patches] == [1.0, 3.0]  # drawn top to bottom: a first
    assert "3 M (75.0%)" in texts(fig)
    assert "2 G (50.0%)" in texts(fig)
    assert "total 4.00 M" in params.get_xlabel()
    assert len(plot_breakdown({"a": 1}).axes) == 1


def test_image_vs_pixel_labels():
    mask = np.zeros((20, 30))
    fig = plot_image_vs_pixel_labels(np.ones((20, 30)), mask, "cells")
    assert "'cells'" in fig.axes[0].get_title()
    assert "20 x 30 = 600 labels" in fig.axes[1].get_title()


def test_feature_maps_grid():
    maps = torch.randn(1, 10, 8, 8)
    fig = show_feature_maps(maps, max_maps=6, ncols=4, title="conv 1", image=np.zeros((8, 8)))
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["input", *(f"channel {c}" for c in range(6))]
    assert len(fig.axes) == 8  # two rows of four, the last one empty
    with pytest.raises(ValueError, match=r"expects maps of shape \(C, H, W\)"):
        show_feature_maps(torch.zeros(2, 3, 4, 4))


def test_no_figure_is_left_open(small_trace):
    before = plt.get_fignums()
    draw_unet(small_trace)
    plot_encoder(small_trace)
    plot_breakdown({"a": 1})
    show_feature_maps(np.zeros((2, 4, 4)))
    assert plt.get_fignums() == before
