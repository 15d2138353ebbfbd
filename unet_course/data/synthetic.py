"""Synthetic "cells": seeded grayscale images of bright blobs with their binary masks, made in memory.

An image is made in four steps, each one a function below: an uneven background
(a ramp and a broad glow), cells (filled ellipses of varied size, brightness and
overlap, brighter in the middle), a blur (the microscope's point spread) and noise (the camera).
The mask is the union of the ellipses before blur and noise. The background is allowed to be
brighter than the dimmest cells, so that no single threshold separates cells from background:
a U-Net, which sees each pixel's neighbourhood, can.
"""

import numpy as np
import torch
from torch.utils.data import Dataset

from ..i18n import tr

DEFAULTS = dict(
    cells_per_kpx=0.9,  # mean number of cells per 1000 pixels (about 15 in a 128x128 image)
    radius=(4.0, 11.0),  # semi-axes of the ellipses, in pixels
    brightness=(0.15, 0.75),  # cell brightness above the background
    background=(0.05, 0.45),  # darkest and brightest background levels (before the cells)
    blur=1.0,  # Gaussian blur sigma, in pixels (0: none)
    noise=0.04,  # Gaussian noise standard deviation
)


def as_size(size):
    """An int or (H, W) as an (H, W) tuple of positive ints, or a clear error."""
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    if len(size) != 2 or any(not isinstance(s, (int, np.integer)) or s < 8 for s in size):
        raise ValueError(tr("size must be an int or (H, W) of whole numbers >= 8, got {size!r}.", size=size))
    return int(size[0]), int(size[1])


def make_background(rng, size, low=0.05, high=0.45):
    """A smooth uneven background: a random ramp plus a broad glow, between low and high."""
    h, w = size
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * x + np.sin(angle) * y  # in [-1.4, 1.4]
    cy, cx = rng.uniform(-1, 1, size=2)
    spread = rng.uniform(0.4, 0.9)
    glow = np.exp(-((y - cy) ** 2) / (2 * spread**2)) * np.exp(-((x - cx) ** 2) / (2 * spread**2))
    field = rng.uniform(0.2, 0.6) * ramp + glow
    field = (field - field.min()) / max(float(field.max() - field.min()), 1e-6)
    return (low + (high - low) * field).astype(np.float32)


def make_ellipses(rng, size, cells_per_kpx=0.9, radius=(4.0, 11.0), brightness=(0.15, 0.75)):
    """Cells as filled ellipses: returns (cells, mask), cells brighter in the middle, mask = any ellipse."""
    h, w = size
    n = max(1, int(rng.poisson(cells_per_kpx * h * w / 1000)))
    r_max = int(np.ceil(radius[1])) + 1
    p = np.arange(-r_max, r_max + 1, dtype=np.float32)
    py, px = p[None, :, None], p[None, None, :]  # (1, P, 1), (1, 1, P)
    centres = rng.uniform(0, 1, size=(n, 2)) * np.array([h, w])
    whole = np.floor(centres).astype(int)
    frac = (centres - whole).astype(np.float32)
    a, b = rng.uniform(*radius, size=(2, n, 1, 1)).astype(np.float32)
    theta = rng.uniform(0, np.pi, size=(n, 1, 1)).astype(np.float32)
    dy, dx = py - frac[:, 0, None, None], px - frac[:, 1, None, None]  # (N, P, P) offsets from the centre
    u = (dx * np.cos(theta) + dy * np.sin(theta)) / a
    v = (-dx * np.sin(theta) + dy * np.cos(theta)) / b
    r2 = u * u + v * v  # (N, P, P): < 1 inside ellipse k
    level = rng.uniform(*brightness, size=(n, 1, 1)).astype(np.float32)
    patches = np.where(r2 < 1, level * (1 - 0.35 * r2), 0).astype(np.float32)
    canvas = np.zeros((h + 2 * r_max, w + 2 * r_max), np.float32)
    for patch, (cy, cx) in zip(patches, whole):  # overlapping cells: the brighter one shows
        window = canvas[cy : cy + 2 * r_max + 1, cx : cx + 2 * r_max + 1]
        np.maximum(window, patch, out=window)
    cells = canvas[r_max : r_max + h, r_max : r_max + w]
    return cells, (cells > 0).astype(np.float32)


def gaussian_blur(image, sigma):
    """Separable Gaussian blur with reflected borders (sigma in pixels; 0 returns the image)."""
    if sigma <= 0:
        return image
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-(t**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(image, radius, mode="reflect")
    h, w = image.shape
    r = radius
    rows = kernel[r] * padded[r : r + h, :]
    for i in range(1, r + 1):  # the kernel is symmetric: pair the taps
        rows += kernel[r + i] * (padded[r - i : r - i + h, :] + padded[r + i : r + i + h, :])
    out = kernel[r] * rows[:, r : r + w]
    for i in range(1, r + 1):
        out += kernel[r + i] * (rows[:, r - i : r - i + w] + rows[:, r + i : r + i + w])
    return out


def make_cells(size, seed=0, **options):
    """One synthetic image and its mask: float32 arrays (H, W), image in [0, 1], mask in {0, 1}.

    ``size`` is an int or (H, W); ``seed`` an int or a sequence of ints (``np.random.default_rng``);
    ``options`` override ``DEFAULTS`` (cells_per_kpx, radius, brightness, background, blur, noise).
    """
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise TypeError(
            tr(
                "make_cells got unknown options {names}: expected some of {choices}.",
                names=sorted(unknown),
                choices=sorted(DEFAULTS),
            )
        )
    o = {**DEFAULTS, **options}
    size = as_size(size)
    rng = np.random.default_rng(seed)
    background = make_background(rng, size, *o["background"])
    cells, mask = make_ellipses(rng, size, o["cells_per_kpx"], o["radius"], o["brightness"])
    image = gaussian_blur(background + cells, o["blur"])
    image += o["noise"] * rng.standard_normal(size, dtype=np.float32)
    return np.clip(image, 0, 1, out=image), mask


class SyntheticCells(Dataset):
    """``num_images`` synthetic cells; item i = (image (1, H, W), mask (1, H, W)) float32, made from (seed, i)."""

    def __init__(self, num_images, size=128, seed=0, **options):
        if not isinstance(num_images, (int, np.integer)) or num_images < 1:
            raise ValueError(
                tr("{name} must be a positive whole number, got {value!r}.", name="num_images", value=num_images)
            )
        self.num_images, self.size, self.seed, self.options = int(num_images), as_size(size), seed, options
        make_cells(8, 0, **options)  # refuse unknown options now, not in the middle of training

    def __len__(self):
        return self.num_images

    def __getitem__(self, i):
        if not -self.num_images <= i < self.num_images:
            raise IndexError(tr("index {i} is out of range for SyntheticCells of {n} images.", i=i, n=self.num_images))
        image, mask = make_cells(self.size, (self.seed, int(i) % self.num_images), **self.options)
        return torch.from_numpy(image)[None], torch.from_numpy(mask)[None]
