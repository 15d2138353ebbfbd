"""Augmentations applied jointly to an image and its mask, seeded: flips, turns, crops, brightness, contrast."""

import numpy as np
import torch
from torch.utils.data import Dataset


def random_crop(image, mask, rng, size):
    """The same random (h, w) window of image and mask (..., H, W)."""
    h, w = (size, size) if isinstance(size, int) else size
    height, width = image.shape[-2:]
    if h > height or w > width:
        raise ValueError(f"crop {(h, w)} is larger than the image {(height, width)}: pick a smaller crop.")
    top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    window = (..., slice(top, top + h), slice(left, left + w))
    return image[window], mask[window]


def augment(image, mask, rng, flips=True, rot90=True, brightness=0.1, contrast=0.1, crop=None):
    """Random crop, flips and 90-degree turns (same for image and mask), then brightness/contrast (image only).

    image, mask: tensors (C, H, W); rng: a ``np.random.Generator``. Turns by 90 or 270 degrees
    are used only on square images, so that every item of a dataset keeps its shape.
    Brightness adds b in [-brightness, brightness]; contrast scales about the mean by c in
    [1 - contrast, 1 + contrast]; the image is clipped back to [0, 1].
    """
    if crop is not None:
        image, mask = random_crop(image, mask, rng, crop)
    if flips and rng.random() < 0.5:
        image, mask = image.flip(-1), mask.flip(-1)
    if rot90:
        square = image.shape[-1] == image.shape[-2]
        k = int(rng.integers(0, 4)) if square else 2 * int(rng.integers(0, 2))
        image, mask = image.rot90(k, (-2, -1)), mask.rot90(k, (-2, -1))
    if brightness or contrast:
        c = rng.uniform(1 - contrast, 1 + contrast)
        b = rng.uniform(-brightness, brightness)
        mean = image.mean()
        image = ((image - mean) * c + mean + b).clamp(0, 1)
    return image.contiguous(), mask.contiguous()


class Augmented(Dataset):
    """A dataset seen through ``augment``: the k-th draw of item i uses the generator seeded by (seed, i, k).

    So every epoch sees new augmentations, and a run repeated from the start sees the same ones.
    ``options`` go to ``augment`` (flips, rot90, brightness, contrast, crop).
    """

    def __init__(self, dataset, seed=0, **options):
        self.dataset, self.seed, self.options = dataset, seed, options
        self.draws = np.zeros(len(dataset), dtype=np.int64)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        i = int(i) % len(self)
        rng = np.random.default_rng((self.seed, i, int(self.draws[i])))
        self.draws[i] += 1
        image, mask = self.dataset[i]
        return augment(torch.as_tensor(image), torch.as_tensor(mask), rng, **self.options)
