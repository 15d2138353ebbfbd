"""Data for the course: synthetic cells made in memory, a folder of real image/mask pairs, BBBC039 nuclei.

- ``synthetic``: ``make_cells(size, seed)`` and ``SyntheticCells(num_images, size, seed)``
- ``baseline``: ``threshold_baseline(pairs)``, the Dice of one global threshold (best, and Otsu's)
- ``read``, ``scale``, ``masks``: a file -> planes and alpha -> image in [0, 1], mask -> target
- ``augment``, ``deform``: ``augment(image, mask, rng, ...)`` (crops, flips, turns, zoom, elastic) and
  ``Augmented(dataset, seed, num_draws)``, keyed by (epoch, index)
- ``folder``: ``ImageMaskFolder(images_dir, masks_dir)``, ``ImageMaskPairs(pairs)``, every file checked when built
- ``loaders``: ``folder_loaders(images_dir, masks_dir)`` / ``pair_loaders(pairs)`` -> Loaders(train, val, test)
- ``sample``: ``sample_nuclei_pairs(split)``, ``sample_nuclei_dir()``: 12 real BBBC039v1 nuclei crops (CC0)
- ``bbbc039``: ``BBBC039(split, root, download)``, downloaded once, checked and cached
"""

from .augment import Augmented, augment
from .baseline import otsu_threshold, threshold_baseline
from .bbbc039 import BBBC039, DownloadError, default_root, fetch_bbbc039, official_splits
from .folder import ImageMaskFolder, ImageMaskPairs, find_pairs
from .loaders import EpochSampler, Loaders, folder_loaders, pair_loaders, split_pairs
from .masks import instance_to_classes
from .read import DataError
from .sample import sample_nuclei_dir, sample_nuclei_pairs
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
    "find_pairs",
    "DataError",
    "instance_to_classes",
    "EpochSampler",
    "Loaders",
    "split_pairs",
    "pair_loaders",
    "folder_loaders",
    "sample_nuclei_dir",
    "sample_nuclei_pairs",
    "BBBC039",
    "DownloadError",
    "fetch_bbbc039",
    "official_splits",
    "default_root",
]
