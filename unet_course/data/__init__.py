"""Data for the course: synthetic cells made in memory, a folder of real image/mask pairs, BBBC039 nuclei.

- ``synthetic``: ``make_cells(size, seed)`` and ``SyntheticCells(num_images, size, seed)``
- ``baseline``: ``threshold_baseline(pairs)``, the Dice of one global threshold (best, and Otsu's)
- ``augment``: ``augment(image, mask, rng, ...)`` and ``Augmented(dataset, seed)``
- ``folder``: ``ImageMaskFolder(images_dir, masks_dir)``, PNG/TIFF pairs, errors that name the file
- ``bbbc039``: ``BBBC039(split, root, download)``, downloaded once, checked and cached
"""

from .augment import Augmented, augment
from .baseline import otsu_threshold, threshold_baseline
from .bbbc039 import BBBC039, DownloadError, default_root, fetch_bbbc039
from .folder import DataError, ImageMaskFolder, ImageMaskPairs
from .synthetic import SyntheticCells, make_cells

__all__ = [
    "SyntheticCells",
    "make_cells",
    "otsu_threshold",
    "threshold_baseline",
    "augment",
    "Augmented",
    "ImageMaskFolder",
    "ImageMaskPairs",
    "DataError",
    "BBBC039",
    "DownloadError",
    "fetch_bbbc039",
    "default_root",
]
