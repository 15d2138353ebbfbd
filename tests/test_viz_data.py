"""The data plots return closed figures with the panels asked for."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from unet_course.data import SyntheticCells, make_cells
from unet_course.viz import plot_intensity_histograms, show_images, show_pairs


def pairs(n=3, size=32):
    data = SyntheticCells(n, size)
    return [data[i][0] for i in range(n)], [data[i][1] for i in range(n)]


def test_show_images_grid_titles_and_outlines():
    images, masks = pairs(5)
    fig = show_images(images, titles=list("abcde"), masks=masks, ncols=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    assert fig.axes[0].collections  # the mask outline
    assert not fig.axes[5].images  # the spare panel stays empty


def test_show_images_accepts_numpy_and_empty_masks():
    image, _ = make_cells(16)
    fig = show_images([image], masks=[np.zeros((16, 16))])
    assert len(fig.axes) == 1 and not fig.axes[0].collections


def test_show_pairs_puts_masks_under_images():
    images, masks = pairs(3)
    fig = show_pairs(images, masks, titles=["x", "y", "z"])
    assert len(fig.axes) == 6
    assert np.array_equal(fig.axes[3].images[0].get_array(), masks[0][0].numpy())
    with pytest.raises(ValueError, match="one mask per image"):
        show_pairs(images, masks[:2])


def test_intensity_histograms_show_both_classes_and_threshold():
    images, masks = pairs(2)
    fig = plot_intensity_histograms(images, masks, threshold=0.4)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["background", "cells", "threshold 0.40"]


def test_plots_refuse_batches():
    with pytest.raises(ValueError, match="one image"):
        show_images([torch.zeros(2, 1, 4, 4)])
