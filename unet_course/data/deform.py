"""Random scaling and elastic deformation: one sampling grid, applied to the image (bilinear) and the mask (nearest).

The elastic field is the U-Net paper's: random displacements on a coarse grid of control points
(3 x 3 in the paper, 10 pixels standard deviation on 572 x 572 tiles), smoothly interpolated
(bicubic) to every pixel. Borders are filled by reflection. Nearest sampling keeps a mask's
values exactly (0/1 or class indices), so it never needs thresholding again.
"""

import numpy as np
import torch
import torch.nn.functional as F


def sampling_grid(rng, size, scale=0.0, elastic=0.0, points=3):
    """(H, W, 2) grid in [-1, 1] (x, y) for ``grid_sample``: zoom by s in [1 - scale, 1 + scale], then elastic."""
    h, w = size
    zoom = 1 + rng.uniform(-scale, scale) if scale else 1.0
    ys, xs = torch.linspace(-1, 1, h), torch.linspace(-1, 1, w)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([gx, gy], -1) / zoom
    if elastic:
        coarse = torch.from_numpy(rng.normal(0, elastic, size=(1, 2, points, points)).astype(np.float32))
        field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)[0]  # (2, H, W) in pixels
        grid = grid + torch.stack([field[0] * 2 / max(w - 1, 1), field[1] * 2 / max(h - 1, 1)], -1)
    return grid


def warp(x, grid, mode):
    """x (..., H, W) resampled on grid (H, W, 2); integer masks come back with their dtype and values."""
    planes = x.reshape(1, -1, *x.shape[-2:]).float()
    out = F.grid_sample(planes, grid[None], mode=mode, padding_mode="reflection", align_corners=True)
    return out.reshape(x.shape).to(x.dtype)


def deform(image, mask, rng, scale=0.0, elastic=0.0):
    """The same random zoom and elastic deformation of image (bilinear) and mask (nearest)."""
    grid = sampling_grid(rng, image.shape[-2:], scale, elastic)
    return warp(image, grid, "bilinear"), warp(mask, grid, "nearest")
