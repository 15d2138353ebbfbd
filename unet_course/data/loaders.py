"""From a folder (or a list of pairs) to three loaders: train (random crops), validation and test (full size).

pairs -> ``split_pairs`` (seeded) -> ``ImageMaskPairs`` per split (every file checked) ->
train: ``Augmented`` crops keyed by ``EpochSampler``; validation, test: whole images, in order.
"""

from collections import namedtuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from ..i18n import tr
from .augment import Augmented
from .folder import DataError, ImageMaskPairs, find_pairs

Loaders = namedtuple("Loaders", "train val test")
AUGMENT = dict(flips=True, rot90=True, brightness=0.1, contrast=0.1, scale=0.15, elastic=3.0)
SPLITS = ("train", "val", "test")


def split_pairs(pairs, val_fraction=0.15, test_fraction=0.15, seed=0):
    """{"train", "val", "test": [pairs]}: a seeded shuffle, then round(n * fraction) pairs (at least 1) each."""
    pairs = list(pairs)
    order = np.random.default_rng(seed).permutation(len(pairs))
    counts = [max(1, round(len(pairs) * f)) if f else 0 for f in (val_fraction, test_fraction)]
    if len(pairs) - sum(counts) < 1:
        raise DataError(
            tr(
                "{n} pairs cannot be split into train, validation ({val_fraction}) and test ({test_fraction}): "
                "expected at least {needed}. Add images, or lower val_fraction / test_fraction.",
                n=len(pairs),
                val_fraction=val_fraction,
                test_fraction=test_fraction,
                needed=sum(counts) + 1,
            )
        )
    val, test = order[: counts[0]], order[counts[0] : sum(counts)]
    train = order[sum(counts) :]
    return {name: [pairs[i] for i in sorted(part)] for name, part in zip(SPLITS, (train, val, test))}


class EpochSampler(Sampler):
    """Yields keys (epoch, index), index 0..num_draws-1 in an order seeded by (seed, epoch); counts its epochs.

    Each ``iter()`` starts the next epoch. ``state_dict()`` / ``load_state_dict()`` hold that count,
    so a resumed run continues with the epoch after the last one started (a run stopped mid-epoch
    restarts that epoch's successor, not the middle of it).
    """

    def __init__(self, num_draws, seed=0, shuffle=True):
        if not isinstance(num_draws, (int, np.integer)) or num_draws < 1:
            raise ValueError(
                tr("{name} must be a positive whole number, got {value!r}.", name="num_draws", value=num_draws)
            )
        self.num_draws, self.seed, self.shuffle, self.epoch = int(num_draws), seed, shuffle, 0

    def __len__(self):
        return self.num_draws

    def __iter__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        n = self.num_draws
        order = np.random.default_rng((self.seed, epoch)).permutation(n) if self.shuffle else np.arange(n)
        return iter([(epoch, int(i)) for i in order])

    def state_dict(self):
        return {"epoch": self.epoch, "seed": self.seed, "num_draws": self.num_draws}

    def load_state_dict(self, state):
        if (state["seed"], state["num_draws"]) != (self.seed, self.num_draws):
            raise ValueError(
                tr(
                    "this sampler has seed={seed}, num_draws={num_draws} but the state has "
                    "seed={state_seed}, num_draws={state_num_draws}: use the checkpoint's settings.",
                    seed=self.seed,
                    num_draws=self.num_draws,
                    state_seed=state["seed"],
                    state_num_draws=state["num_draws"],
                )
            )
        self.epoch = int(state["epoch"])


def check_train_sizes(dataset, crop, batch_size):
    """Refuse images smaller than the crop, and mixed sizes that a batch could not stack."""
    pairs, sizes = dataset.pairs, dataset.sizes
    if sizes is None:  # built with check=False: sizes are found when items are read
        return
    if crop is None:
        if batch_size > 1 and not dataset.same_size():
            raise DataError(
                tr(
                    "the training images have different sizes ({sizes}...) and crop=None: a batch of "
                    "{batch_size} cannot be stacked. Set crop (e.g. crop=128) or batch_size=1.",
                    sizes=sorted(set(sizes))[:3],
                    batch_size=batch_size,
                )
            )
        return
    h, w = (crop, crop) if isinstance(crop, int) else crop
    for (image, _), size in zip(pairs, sizes):
        if size[0] < h or size[1] < w:
            raise DataError(
                tr(
                    "{image} is {h}x{w}, smaller than crop={crop}: pick a smaller crop.",
                    image=image,
                    h=size[0],
                    w=size[1],
                    crop=crop,
                )
            )


def eval_loader(dataset, batch_size, name):
    """Whole images in order; batching several needs one size (else refused here, not by torch.stack).

    ``name`` is "validation" or "test", the split the refusal names.
    """
    if batch_size > 1 and not dataset.same_size():
        raise DataError(_mixed_sizes_message(name, sorted(set(dataset.sizes))[:3], batch_size))
    return DataLoader(dataset, batch_size=batch_size, shuffle=False)


def _mixed_sizes_message(name, sizes, batch_size):
    """Why the ``name`` ("validation" or "test") images cannot be batched, and the fix."""
    if name == "validation":
        return tr(
            "the validation images have different sizes ({sizes}...): a batch of "
            "{batch_size} cannot be stacked. Use eval_batch_size=1 (the default).",
            sizes=sizes,
            batch_size=batch_size,
        )
    return tr(
        "the test images have different sizes ({sizes}...): a batch of "
        "{batch_size} cannot be stacked. Use eval_batch_size=1 (the default).",
        sizes=sizes,
        batch_size=batch_size,
    )


def pair_loaders(pairs, crop=128, num_draws=256, batch_size=8, seed=0, **options):
    """Loaders(train, val, test) from [(image, mask)] (split with ``split_pairs``) or {"train", "val", "test": pairs}.

    train: ``num_draws`` random ``crop`` x ``crop`` windows per epoch, augmented (``augment_options``,
    default ``AUGMENT``: flips, 90-degree turns, zoom 15 %, elastic 3 px, brightness/contrast 10 %),
    every draw a function of (seed, epoch, index), the same with or without workers; batches of
    ``batch_size`` (the last, smaller one kept). val, test: every image whole, ``eval_batch_size`` (1)
    at a time (test is None with test_fraction=0). The defaults suit real nuclei on a CPU (crop 128, 256 draws).
    Other options: val_fraction, test_fraction (0.15 each), eval_batch_size, num_workers,
    persistent_workers, and those of ``ImageMaskPairs`` (normalize, in_channels, color, mask_mode,
    num_classes, max_foreground). ``cache=True`` (default here) keeps the decoded images in memory,
    8 bytes a pixel (an epoch of 256 crops from 520 x 696 files: 0.4 s instead of 9 s on one CPU
    thread); ``cache=False`` reads the file at every draw, for sets too big for memory.
    """
    fractions = options.pop("val_fraction", 0.15), options.pop("test_fraction", 0.15)
    eval_batch_size = options.pop("eval_batch_size", 1)
    augment_options = {**AUGMENT, **options.pop("augment_options", {})}
    workers = dict(num_workers=options.pop("num_workers", 0))
    if workers["num_workers"]:
        workers["persistent_workers"] = options.pop("persistent_workers", False)
    options.setdefault("cache", True)
    splits = pairs if isinstance(pairs, dict) else split_pairs(pairs, *fractions, seed=seed)
    sets = {name: ImageMaskPairs(splits[name], **options) if splits.get(name) else None for name in SPLITS}
    for name in ("train", "val"):
        if sets[name] is None:
            raise DataError(
                tr(
                    "the {name} split holds no pairs: expected at least one. Add images or change the split.",
                    name=name,
                )
            )
    check_train_sizes(sets["train"], crop, batch_size)
    crops = Augmented(sets["train"], seed, num_draws, crop=crop, **augment_options)
    train = DataLoader(
        crops,
        batch_size,
        sampler=EpochSampler(num_draws, seed),
        generator=torch.Generator().manual_seed(seed),
        **workers,
    )
    val = eval_loader(sets["val"], eval_batch_size, "validation")
    test = eval_loader(sets["test"], eval_batch_size, "test") if sets["test"] is not None else None
    return Loaders(train, val, test)


def folder_loaders(images_dir, masks_dir, mask_suffix="", **options):
    """``pair_loaders`` of the pairs of a folder of images and a folder of masks (see ``find_pairs``)."""
    return pair_loaders(find_pairs(images_dir, masks_dir, mask_suffix), **options)
