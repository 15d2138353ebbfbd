"""Augmentations applied jointly to an image and its mask, seeded: crops, flips, turns, zoom, elastic, intensity.

``augment`` draws everything from the generator it is given. ``Augmented`` makes that generator
from a key: draw ``index`` of ``epoch`` uses ``np.random.default_rng((seed, epoch, index))``, so a
draw is a pure function of (seed, epoch, index), whatever process reads it (DataLoader workers,
persistent or not). ``EpochSampler`` (in ``loaders``) hands out those keys, one epoch after another.
"""

import numpy as np
import torch
from torch.utils.data import Dataset

from ..i18n import tr
from .deform import deform


def random_crop(image, mask, rng, size):
    """The same random (h, w) window of image and mask (..., H, W)."""
    h, w = (size, size) if isinstance(size, int) else size
    height, width = image.shape[-2:]
    if h > height or w > width:
        raise ValueError(
            tr(
                "crop {crop} is larger than the image {size}: pick a smaller crop.",
                crop=(h, w),
                size=(height, width),
            )
        )
    top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    window = (..., slice(top, top + h), slice(left, left + w))
    return image[window], mask[window]


def flip_and_turn(image, mask, rng, flips=True, rot90=True):
    """A random mirror and a turn by k x 90 degrees (only 0 or 180 on non-square images, to keep the shape)."""
    if flips and rng.random() < 0.5:
        image, mask = image.flip(-1), mask.flip(-1)
    if rot90:
        square = image.shape[-1] == image.shape[-2]
        k = int(rng.integers(0, 4)) if square else 2 * int(rng.integers(0, 2))
        image, mask = image.rot90(k, (-2, -1)), mask.rot90(k, (-2, -1))
    return image, mask


def augment(image, mask, rng, flips=True, rot90=True, brightness=0.1, contrast=0.1, crop=None, scale=0.0, elastic=0.0):
    """Random crop, flips and 90-degree turns, zoom and elastic deformation (image and mask alike), then
    brightness/contrast (image only).

    image (C, H, W), mask (1, H, W) or (H, W); rng: a ``np.random.Generator``. ``scale`` zooms by s
    in [1 - scale, 1 + scale]; ``elastic`` is the standard deviation, in pixels, of the displacement
    of a 3 x 3 grid of control points (see ``deform``); both are off by default. Brightness adds b in
    [-brightness, brightness]; contrast scales about the mean by c in [1 - contrast, 1 + contrast];
    the image is clipped back to [0, 1]. The mask keeps its values (nearest sampling).
    """
    if crop is not None:
        image, mask = random_crop(image, mask, rng, crop)
    image, mask = flip_and_turn(image, mask, rng, flips, rot90)
    if scale or elastic:
        image, mask = deform(image, mask, rng, scale, elastic)
    if brightness or contrast:
        c = rng.uniform(1 - contrast, 1 + contrast)
        b = rng.uniform(-brightness, brightness)
        mean = image.mean()
        image = ((image - mean) * c + mean + b).clamp(0, 1)
    return image.contiguous(), mask.contiguous()


def as_key(key):
    """(epoch, index) from a key (epoch, index) or a plain index (read as epoch 0)."""
    if isinstance(key, (tuple, list)) and len(key) == 2:
        return int(key[0]), int(key[1])
    if isinstance(key, (int, np.integer, torch.Tensor)):
        return 0, int(key)
    raise TypeError(tr("key {key!r} is not an index or (epoch, index): use EpochSampler to make keys.", key=key))


class Augmented(Dataset):
    """A dataset seen through ``augment``: key (epoch, index) -> item index % len(dataset), augmented with the
    generator seeded by (seed, epoch, index). A plain index i is the key (0, i).

    ``num_draws`` sets the length (draws per epoch; default: one per item). It holds no counter,
    so the same key gives the same draw in any process; a new epoch gives new draws.
    ``options`` go to ``augment`` (flips, rot90, brightness, contrast, crop, scale, elastic).
    """

    def __init__(self, dataset, seed=0, num_draws=None, **options):
        if len(dataset) == 0:
            raise ValueError(tr("Augmented got an empty dataset: expected at least one (image, mask) item."))
        self.dataset, self.seed, self.options = dataset, seed, options
        self.num_draws = len(dataset) if num_draws is None else int(num_draws)

    def __len__(self):
        return self.num_draws

    def __getitem__(self, key):
        epoch, index = as_key(key)
        rng = np.random.default_rng((self.seed, epoch, index))
        image, mask = self.dataset[index % len(self.dataset)]
        return augment(torch.as_tensor(image), torch.as_tensor(mask), rng, **self.options)
