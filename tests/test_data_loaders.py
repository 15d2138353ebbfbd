"""The one path from a folder to loaders: seeded split, keyed random crops, zoom and elastic, full-size evaluation."""

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from unet_course.data import (
    Augmented,
    DataError,
    EpochSampler,
    SyntheticCells,
    augment,
    folder_loaders,
    pair_loaders,
    split_pairs,
)


def write_folder(folder, count=6, sizes=((40, 48),)):
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        rng = np.random.default_rng(i)
        mask = np.zeros((h, w), np.uint8)
        mask[5:15, 8:20] = 1
        image = (rng.uniform(0, 0.3, (h, w)) + 0.6 * mask) * 4000
        for sub, array in (("images", image.astype(np.uint16)), ("masks", mask * (i + 1))):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(folder / sub / f"n{i}.png")
    return folder / "images", folder / "masks"


def test_split_is_seeded_disjoint_and_refuses_too_few_pairs():
    pairs = [(f"i{k}", f"m{k}") for k in range(20)]
    split = split_pairs(pairs, seed=1)
    assert [len(split[s]) for s in ("train", "val", "test")] == [14, 3, 3]
    assert sorted(sum(split.values(), [])) == sorted(pairs)
    assert split == split_pairs(pairs, seed=1) and split != split_pairs(pairs, seed=2)
    assert len(split_pairs(pairs, test_fraction=0)["test"]) == 0
    with pytest.raises(DataError, match="2 pairs cannot be split .*expected at least 3"):
        split_pairs(pairs[:2])


def test_sampler_counts_epochs_and_resumes_exactly():
    sampler = EpochSampler(5, seed=3)
    first, second = list(sampler), list(sampler)
    assert [e for e, _ in first] == [0] * 5 and sorted(i for _, i in first) == list(range(5))
    assert [e for e, _ in second] == [1] * 5 and [i for _, i in first] != [i for _, i in second]
    resumed = EpochSampler(5, seed=3)
    resumed.load_state_dict(sampler.state_dict())
    assert list(resumed) == list(sampler)  # both now at epoch 2
    with pytest.raises(ValueError, match="this sampler has seed=4, num_draws=5 but the state has seed=3"):
        EpochSampler(5, seed=4).load_state_dict(sampler.state_dict())


def batches(loader, num_epochs):
    return [[x.clone() for x, _ in loader] for _ in range(num_epochs)]


def test_draws_differ_by_epoch_repeat_on_rerun_and_ignore_workers():
    crops = Augmented(SyntheticCells(3, 24, seed=0), seed=7, num_draws=8, crop=16, scale=0.1, elastic=2.0)

    def loader(**workers):
        return DataLoader(crops, batch_size=4, sampler=EpochSampler(8, seed=7), **workers)

    plain = batches(loader(), 2)
    assert len(plain[0]) == 2 and plain[0][0].shape == (4, 1, 16, 16)
    assert not torch.equal(plain[0][0], plain[1][0])  # two epochs differ
    assert all(torch.equal(a, b) for a, b in zip(plain[1], batches(loader(), 2)[1]))  # a rerun repeats
    for workers in (dict(num_workers=2), dict(num_workers=2, persistent_workers=True)):
        with_workers = batches(loader(**workers), 2)
        assert all(torch.equal(a, b) for e in range(2) for a, b in zip(plain[e], with_workers[e])), workers


def test_zoom_and_elastic_move_image_and_mask_together_and_keep_mask_values():
    image = torch.zeros(1, 32, 32)
    image[:, 8:20, 10:24] = 1
    mask = image.clone()
    classes = (image[0] * 2).long()  # an integer class map (H, W)
    for seed in range(4):
        out, out_mask = augment(
            image, mask, np.random.default_rng(seed), brightness=0, contrast=0, scale=0.2, elastic=3
        )
        assert set(out_mask.unique().tolist()) <= {0.0, 1.0} and out.shape == (1, 32, 32)
        assert ((out > 0.5) == (out_mask > 0.5)).float().mean() > 0.97
        assert not torch.equal(out_mask, mask)
        _, out_classes = augment(image, classes, np.random.default_rng(seed), scale=0.2, elastic=3)
        assert out_classes.dtype == torch.int64 and set(out_classes.unique().tolist()) <= {0, 2}
    again = augment(image, mask, np.random.default_rng(1), scale=0.2, elastic=3)[1]
    assert torch.equal(again, augment(image, mask, np.random.default_rng(1), scale=0.2, elastic=3)[1])


def test_folder_loaders_give_crops_for_training_and_whole_images_for_evaluation(tmp_path):
    images_dir, masks_dir = write_folder(tmp_path, count=7)
    loaders = folder_loaders(images_dir, masks_dir, crop=32, num_draws=10, batch_size=4, seed=0)
    sizes = [x.shape for x, _ in loaders.train]
    assert sizes == [(4, 1, 32, 32)] * 2 + [(2, 1, 32, 32)]
    x, mask = next(iter(loaders.train))
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1 and set(mask.unique().tolist()) <= {0.0, 1.0}
    assert len(loaders.val.dataset) == 1 and len(loaders.test.dataset) == 1 and len(loaders.train.dataset.dataset) == 5
    assert next(iter(loaders.val))[0].shape == (1, 1, 40, 48)
    assert loaders.train.sampler.state_dict()["epoch"] == 2  # two epochs started above


def test_loaders_refuse_mixed_sizes_they_would_batch_and_too_small_images(tmp_path):
    images_dir, masks_dir = write_folder(tmp_path, count=6, sizes=((40, 48), (36, 40)))
    with pytest.raises(DataError, match=r"validation images have different sizes .*eval_batch_size=1"):
        folder_loaders(images_dir, masks_dir, crop=32, eval_batch_size=2, val_fraction=0.34)
    with pytest.raises(DataError, match=r"training images have different sizes .*Set crop"):
        folder_loaders(images_dir, masks_dir, crop=None, batch_size=2)
    with pytest.raises(DataError, match=r"n\d.png is 36x40, smaller than crop=38"):
        folder_loaders(images_dir, masks_dir, crop=38)
    loaders = folder_loaders(images_dir, masks_dir, crop=32, val_fraction=0.34)  # val of both sizes, one at a time
    assert sorted(x.shape[-2:] for x, _ in loaders.val) == [(36, 40), (40, 48)]


def test_pair_loaders_take_an_official_split_and_refuse_an_empty_one(tmp_path):
    images_dir, masks_dir = write_folder(tmp_path, count=3)
    pairs = [(images_dir / f"n{i}.png", masks_dir / f"n{i}.png") for i in range(3)]
    loaders = pair_loaders({"train": pairs[:2], "val": pairs[2:]}, crop=16, num_draws=4, batch_size=2)
    assert loaders.test is None and len(loaders.val) == 1 and len(loaders.train) == 2
    with pytest.raises(DataError, match="the val split holds no pairs"):
        pair_loaders({"train": pairs, "val": []}, crop=16)
