"""Evaluation plots: prediction first, then mask; threshold curves; objects coloured one by one."""

import numpy as np
import pytest
import torch

from unet_course.viz import error_map, label_picture, plot_instances, plot_predictions, plot_threshold_curves
from unet_course.viz.evaluation import ERROR_COLOURS
from unet_course.viz.style import CYCLE, rgb


def test_error_map_reads_prediction_first():
    pred = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    picture = error_map(pred, mask)
    assert tuple(picture[0, 1]) == ERROR_COLOURS["false positive"]  # predicted cell on background: orange
    assert tuple(picture[1, 0]) == ERROR_COLOURS["false negative"]
    assert tuple(picture[0, 0]) == ERROR_COLOURS["true positive"] and tuple(picture[1, 1]) == (0, 0, 0)


def test_plot_predictions_shows_truth_then_prediction():
    images = torch.rand(2, 1, 8, 8)
    mask = torch.zeros(2, 1, 8, 8)
    pred = torch.ones(2, 1, 8, 8)  # everything predicted: every pixel a false positive
    fig = plot_predictions(images, pred, mask, scores=[0.1, 0.2])
    axes = fig.axes
    assert [ax.get_title() for ax in axes[:4]] == ["image", "truth", "prediction", "errors"]
    errors = axes[3].get_images()[0].get_array()
    assert np.allclose(errors[0, 0], ERROR_COLOURS["false positive"])
    assert axes[0].get_ylabel() == "Dice 0.100"


def test_plot_threshold_curves_draws_one_line_per_image():
    thresholds = np.linspace(0, 1, 5)
    fig = plot_threshold_curves(thresholds, [[0.2, 0.9, 0.95, 0.9, 0.1], [0.3, 0.8, 0.9, 0.8, 0.0]])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3  # two curves and the dashed threshold
    assert np.allclose(lines[0].get_ydata(), [0.2, 0.9, 0.95, 0.9, 0.1])
    with pytest.raises(ValueError, match="one per threshold"):
        plot_threshold_curves(thresholds, [[0.1, 0.2]])


def test_plot_instances_counts_objects_in_each_panel():
    labels = np.zeros((6, 6), np.int64)
    labels[:2, :2], labels[4:, 4:] = 1, 2
    merged = (labels > 0).astype(np.int64)
    fig = plot_instances(np.linspace(0, 1, 36).reshape(6, 6), {"truth": labels, "Otsu": merged})
    assert [ax.get_title() for ax in fig.axes] == ["image", "truth: 2 objects", "Otsu: 1 object"]
    picture = label_picture(labels)
    assert np.allclose(picture[0, 0], rgb(CYCLE[0])) and np.allclose(picture[5, 5], rgb(CYCLE[1]))
    assert np.allclose(picture[3, 3], 0)
    with pytest.raises(ValueError, match="at least one label map"):
        plot_instances(np.zeros((2, 2)), {})
