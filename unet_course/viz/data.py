"""Data plots: images with their masks, a row of images, the pixel histograms a threshold sees,
and an image's one label beside a mask's label per pixel.

Mask outlines are orange on the grayscale image; cells and background in the histogram are
orange and sky blue: both pairs stay distinct with the common colour-vision deficiencies.
"""

import numpy as np

from .style import PALETTE, as_2d, finish, hide_ticks, new_figure


def _axes(nrows, ncols, size=2.2):
    fig = new_figure((size * ncols, size * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, axes


def _outline(ax, mask, colour=PALETTE["orange"]):
    mask = as_2d(mask)
    if 0 < mask.max():  # contour needs both levels present
        ax.contour(mask, levels=[0.5], colors=[colour], linewidths=1.0)


def show_images(images, titles=None, mask=None, ncols=None, size=2.2, masks=None):
    """Images in a grid (gray, 0..1), each titled, with its mask outlined in orange where ``mask`` is given.

    ``masks=`` is the old name of ``mask`` (one mask per image), still accepted.
    """
    mask = masks if mask is None else mask
    images = list(images)
    ncols = ncols or len(images)
    fig, axes = _axes(int(np.ceil(len(images) / ncols)), ncols, size)
    for i, image in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(as_2d(image), cmap="gray", vmin=0, vmax=1)
        if mask is not None:
            _outline(ax, mask[i])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return finish(fig)


def show_pairs(images, mask, titles=None, size=2.2):
    """Two rows: images (mask outlined in orange) above their masks (white = cell)."""
    images, mask = list(images), list(mask)
    if len(images) != len(mask):
        raise ValueError(f"got {len(images)} images but {len(mask)} masks: pass one mask per image.")
    fig, axes = _axes(2, len(images), size)
    for i, (image, one_mask) in enumerate(zip(images, mask)):
        axes[0, i].imshow(as_2d(image), cmap="gray", vmin=0, vmax=1)
        _outline(axes[0, i], one_mask)
        axes[1, i].imshow(as_2d(one_mask), cmap="gray", vmin=0, vmax=1)
        if titles is not None:
            axes[0, i].set_title(titles[i], fontsize=9)
    axes[0, 0].text(-0.08, 0.5, "image", transform=axes[0, 0].transAxes, rotation=90, va="center", ha="right")
    axes[1, 0].text(-0.08, 0.5, "mask", transform=axes[1, 0].transAxes, rotation=90, va="center", ha="right")
    return finish(fig)


def plot_intensity_histograms(images, mask, threshold=None, bins=50):
    """Pixel values of cells and of background, overlaid: where they overlap, no single threshold is right."""
    values = np.concatenate([as_2d(image).ravel() for image in images])
    labels = np.concatenate([as_2d(one_mask).ravel() > 0.5 for one_mask in mask])
    fig = new_figure((6, 3))
    ax = fig.add_subplot()
    edges = np.linspace(0, 1, bins + 1)
    ax.hist(values[~labels], edges, density=True, alpha=0.6, color=PALETTE["sky_blue"], label="background")
    ax.hist(values[labels], edges, density=True, alpha=0.6, color=PALETTE["orange"], label="cells")
    if threshold is not None:
        ax.axvline(threshold, color=PALETTE["black"], linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set(xlabel="pixel value", ylabel="density", title="what a global threshold sees")
    ax.legend()
    return finish(fig)


def plot_image_vs_pixel_labels(image, mask, image_label):
    """An image with the one label a classifier gives, beside the label per pixel a U-Net gives."""
    fig = new_figure((8, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.imshow(image, cmap="gray")
    left.set_title(f"image classification: one label\n{image_label!r}", fontsize=10)
    right.imshow(mask, cmap="gray", vmin=0, vmax=1)
    height, width = mask.shape[-2:]
    right.set_title(f"segmentation: one label per pixel\n{height} x {width} = {height * width:,} labels", fontsize=10)
    hide_ticks(left, right)
    return finish(fig)
