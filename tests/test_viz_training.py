"""Training plots: curves from a History or a dict, live redraws, error colours, overlays, per-image Dice."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from unet_course.train import History
from unet_course.viz.evaluation import (
    ERROR_COLOURS,
    error_map,
    overlay,
    plot_per_image_dice,
    plot_predictions,
    plot_threshold,
)
from unet_course.viz.training import LiveHistoryPlot, plot_history


def history(epochs=3):
    h = History()
    for epoch in range(1, epochs + 1):
        h.append(
            epoch=epoch,
            train_loss=1 / epoch,
            val_loss=1.1 / epoch,
            val_dice=1 - 0.5 / epoch,
            train_seconds=1.0,
            num_images=4,
            elapsed=float(epoch),
        )
    return h


def test_plot_history_from_history_and_dict():
    fig = plot_history(history(), target_dice=0.9)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, dice_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    assert list(dice_ax.lines[0].get_ydata()) == pytest.approx([0.5, 0.75, 1 - 0.5 / 3])
    as_dict = plot_history({"epoch": [1], "train_loss": [1.0], "val_loss": [1.0], "val_dice": [0.2]})
    assert len(as_dict.axes[1].lines) == 1


def test_live_plot_displays_once_then_updates():
    calls = []

    class Handle:
        def update(self, fig):
            calls.append(("update", fig))

    def display(fig, display_id):
        calls.append(("display", fig))
        return Handle()

    live = LiveHistoryPlot(target_dice=0.9, display=display)
    for epochs in (1, 2, 3):
        live(history(epochs))
    assert [kind for kind, _ in calls] == ["display", "update", "update"] and live.updates == 3


def test_error_map_colours_each_kind_of_pixel():
    mask = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    pred = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    rgb = error_map(pred, mask[None])  # prediction first, then mask
    assert rgb.shape == (2, 2, 3)
    assert tuple(rgb[0, 0]) == ERROR_COLOURS["true positive"]
    assert tuple(rgb[0, 1]) == ERROR_COLOURS["false negative"]
    assert tuple(rgb[1, 0]) == ERROR_COLOURS["false positive"]
    assert tuple(rgb[1, 1]) == ERROR_COLOURS["true negative"]
    with pytest.raises(ValueError, match=r"error_map\(pred, mask\): pred \(1, 2\) and mask \(2, 2\)"):
        error_map(pred[:1], mask)


def test_error_map_is_not_symmetric_swapping_swaps_the_error_colours():
    pred, mask = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    right, swapped = error_map(pred, mask), error_map(mask, pred)
    assert tuple(right[0, 0]) == tuple(swapped[0, 1]) == ERROR_COLOURS["false positive"]
    assert tuple(right[0, 1]) == tuple(swapped[0, 0]) == ERROR_COLOURS["false negative"]


def test_overlay_tints_only_the_mask():
    image = np.linspace(0, 1, 16).reshape(4, 4)
    mask = np.zeros((4, 4))
    mask[0, 0] = 1
    rgb = overlay(image, mask)
    assert rgb.shape == (4, 4, 3) and rgb.min() >= 0 and rgb.max() <= 1
    assert np.allclose(rgb[1:, :, 0], rgb[1:, :, 2])  # gray where there is no mask
    assert not np.isclose(rgb[0, 0, 0], rgb[0, 0, 2])


def test_plot_predictions_and_per_image_dice():
    images, mask = torch.rand(3, 1, 8, 8), (torch.rand(3, 1, 8, 8) > 0.5).float()
    pred = torch.zeros_like(mask)
    fig = plot_predictions(images, pred, mask, scores=[0.5, 0.6, 0.7], max_images=2)
    assert len(fig.axes) == 8 and fig.axes[0].get_ylabel() == "Dice 0.500"
    errors = fig.axes[3].images[0].get_array()  # pred is empty: every cell pixel is a false negative
    assert np.allclose(errors[mask[0, 0] > 0.5], ERROR_COLOURS["false negative"])
    with pytest.raises(ValueError, match="images, pred and mask must have the same length, got 3, 2, 3"):
        plot_predictions(images, pred[:2], mask)
    fig = plot_per_image_dice({"U-Net": [0.9, 0.95], "no skips": [0.6, 0.7], "threshold": [0.5, 0.4]})
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["U-Net", "no skips", "threshold"]


def test_plot_threshold():
    probs = torch.rand(8, 8)
    fig = plot_threshold(torch.rand(8, 8), probs, probs > 0.5, 0.3, np.linspace(0, 1, 5), [0.1, 0.5, 0.9, 0.5, 0.1])
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "mask at 0.30"
