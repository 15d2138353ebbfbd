"""Data plots: images with their masks, a row of images, augmentations, and the pixel histograms a threshold sees.

Mask outlines are Okabe-Ito orange on the grayscale image; cells and background in the
histogram are orange and sky blue: both pairs stay distinct with the common colour-vision deficiencies.
"""

import matplotlib.pyplot as plt
import numpy as np

from .training import OKABE_ITO, _as_2d


def _axes(nrows, ncols, size=2.2):
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, axes


def _outline(ax, mask, colour=OKABE_ITO["orange"]):
    mask = _as_2d(mask)
    if 0 < mask.max():  # contour needs both levels present
        ax.contour(mask, levels=[0.5], colors=[colour], linewidths=1.0)


def show_images(images, titles=None, masks=None, ncols=None, size=2.2):
    """Images in a grid (gray, 0..1), each titled, with its mask outlined in orange where masks are given."""
    images = list(images)
    ncols = ncols or len(images)
    fig, axes = _axes(int(np.ceil(len(images) / ncols)), ncols, size)
    for i, image in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(_as_2d(image), cmap="gray", vmin=0, vmax=1)
        if masks is not None:
            _outline(ax, masks[i])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def show_pairs(images, masks, titles=None, size=2.2):
    """Two rows: images (mask outlined in orange) above their masks (white = cell)."""
    images, masks = list(images), list(masks)
    if len(images) != len(masks):
        raise ValueError(f"got {len(images)} images but {len(masks)} masks: pass one mask per image.")
    fig, axes = _axes(2, len(images), size)
    for i, (image, mask) in enumerate(zip(images, masks)):
        axes[0, i].imshow(_as_2d(image), cmap="gray", vmin=0, vmax=1)
        _outline(axes[0, i], mask)
        axes[1, i].imshow(_as_2d(mask), cmap="gray", vmin=0, vmax=1)
        if titles is not None:
            axes[0, i].set_title(titles[i], fontsize=9)
    axes[0, 0].text(-0.08, 0.5, "image", transform=axes[0, 0].transAxes, rotation=90, va="center", ha="right")
    axes[1, 0].text(-0.08, 0.5, "mask", transform=axes[1, 0].transAxes, rotation=90, va="center", ha="right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_intensity_histograms(images, masks, threshold=None, bins=50):
    """Pixel values of cells and of background, overlaid: where they overlap, no single threshold is right."""
    values = np.concatenate([_as_2d(image).ravel() for image in images])
    labels = np.concatenate([_as_2d(mask).ravel() > 0.5 for mask in masks])
    fig, ax = plt.subplots(figsize=(6, 3))
    edges = np.linspace(0, 1, bins + 1)
    ax.hist(values[~labels], edges, density=True, alpha=0.6, color=OKABE_ITO["sky_blue"], label="background")
    ax.hist(values[labels], edges, density=True, alpha=0.6, color=OKABE_ITO["orange"], label="cells")
    if threshold is not None:
        ax.axvline(threshold, color=OKABE_ITO["black"], linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set(xlabel="pixel value", ylabel="density", title="what a global threshold sees")
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig
