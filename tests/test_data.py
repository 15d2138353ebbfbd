"""Synthetic cells, the threshold baseline, augmentations and the folder dataset."""

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from unet_course.data import (
    Augmented,
    DataError,
    ImageMaskFolder,
    SyntheticCells,
    augment,
    make_cells,
    otsu_threshold,
    threshold_baseline,
)


def test_make_cells_returns_an_image_in_0_1_and_a_binary_mask():
    image, mask = make_cells(64, seed=3)
    assert image.shape == mask.shape == (64, 64)
    assert image.dtype == mask.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert 0.05 < mask.mean() < 0.6


def test_make_cells_is_seeded():
    a, b, c = make_cells((48, 80), seed=1), make_cells((48, 80), seed=1), make_cells((48, 80), seed=2)
    assert a[0].shape == (48, 80)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_cells_are_brighter_than_their_surroundings():
    image, mask = make_cells(128, seed=0, noise=0.0)
    assert image[mask == 1].mean() > image[mask == 0].mean() + 0.1


def test_make_cells_refuses_unknown_options_and_sizes():
    with pytest.raises(TypeError, match="unknown options \\['radii'\\]"):
        make_cells(64, radii=3)
    with pytest.raises(ValueError, match="size must be"):
        make_cells((64,))


def test_synthetic_cells_items():
    data = SyntheticCells(5, size=32, seed=7)
    image, mask = data[4]
    assert len(data) == 5
    assert image.shape == mask.shape == (1, 32, 32) and image.dtype == torch.float32
    assert torch.equal(image, torch.from_numpy(make_cells(32, (7, 4))[0])[None])
    assert torch.equal(data[-1][0], image)
    with pytest.raises(IndexError, match="out of range"):
        data[5]
    with pytest.raises(TypeError, match="unknown options"):
        SyntheticCells(5, blurr=2)


def test_otsu_splits_two_levels():
    image = np.r_[np.full(100, 0.2), np.full(50, 0.7)]
    assert 0.2 < otsu_threshold(image) < 0.7


def test_a_global_threshold_does_clearly_worse_than_perfect():
    scores = threshold_baseline(SyntheticCells(16, 64, seed=1))
    assert scores["best_threshold_dice"] < 0.9
    assert scores["otsu_dice"] <= scores["best_threshold_dice"]
    easy = threshold_baseline(SyntheticCells(8, 64, seed=1, background=(0.1, 0.1), noise=0.0, blur=0.0))
    assert easy["best_threshold_dice"] > 0.99


def test_augment_moves_image_and_mask_together():
    image = torch.rand(1, 16, 16)
    mask = (image > 0.5).float()
    for seed in range(8):
        out, out_mask = augment(image, mask, np.random.default_rng(seed), brightness=0, contrast=0)
        assert torch.equal(out_mask, (out > 0.5).float())


def test_augment_keeps_non_square_shapes_and_crops():
    image, mask = torch.rand(1, 8, 12), torch.zeros(1, 8, 12)
    for seed in range(8):
        assert augment(image, mask, np.random.default_rng(seed))[0].shape == (1, 8, 12)
    assert augment(image, mask, np.random.default_rng(0), crop=(4, 6))[1].shape == (1, 4, 6)
    with pytest.raises(ValueError, match="larger than the image"):
        augment(image, mask, np.random.default_rng(0), crop=16)


def test_augment_jitters_brightness_within_0_1():
    image = torch.rand(1, 16, 16)
    out, _ = augment(image, image, np.random.default_rng(0), flips=False, rot90=False, brightness=0.5)
    assert not torch.equal(out, image) and 0 <= out.min() and out.max() <= 1


def test_augmented_draws_are_a_function_of_seed_epoch_and_index():
    runs = [Augmented(SyntheticCells(2, 16), seed=5) for _ in range(2)]
    assert all(torch.equal(runs[0][(e, 0)][0], runs[1][(e, 0)][0]) for e in range(3))  # a rerun repeats
    assert torch.equal(runs[0][0][0], runs[0][0][0])  # no counter: the same key, the same draw
    assert torch.equal(runs[0][0][0], runs[0][(0, 0)][0])  # a plain index is epoch 0
    assert not torch.equal(runs[0][(0, 0)][0], runs[0][(1, 0)][0])  # another epoch, another draw
    assert len(Augmented(SyntheticCells(2, 16), num_draws=7)) == 7
    assert torch.equal(
        Augmented(SyntheticCells(2, 16), brightness=0, contrast=0, rot90=False, flips=False)[(3, 5)][1],
        SyntheticCells(2, 16)[1][1],
    )  # index 5 of 2 items is item 1
    with pytest.raises(TypeError, match="is not an index or \\(epoch, index\\)"):
        runs[0]["a"]


def write_pair(folder, name, image, mask, image_ext=".png"):
    (folder / "images").mkdir(exist_ok=True)
    (folder / "masks").mkdir(exist_ok=True)
    if image_ext == ".tif":
        tifffile.imwrite(folder / "images" / f"{name}.tif", image)
    else:
        Image.fromarray(image).save(folder / "images" / f"{name}{image_ext}")
    Image.fromarray(mask).save(folder / "masks" / f"{name}.png")


def test_folder_reads_8_and_16_bit_png_and_tiff_and_binarises_labels(tmp_path):
    labels = np.zeros((6, 10), np.uint8)
    labels[1:3, 1:3], labels[4:6, 5:9] = 1, 7  # two instances
    write_pair(tmp_path, "a", np.arange(60, dtype=np.uint8).reshape(6, 10), labels)
    write_pair(tmp_path, "b", (np.arange(60, dtype=np.uint16) * 1000).reshape(6, 10), labels)
    write_pair(tmp_path, "c", (np.arange(60, dtype=np.uint16) * 60).reshape(6, 10), labels, ".tif")
    data = ImageMaskFolder(tmp_path / "images", tmp_path / "masks", normalize="minmax")
    assert len(data) == 3
    for image, mask in data:
        assert image.shape == mask.shape == (1, 6, 10)
        assert image.min() == 0 and image.max() == 1
        assert torch.equal(mask[0], torch.from_numpy(labels != 0).float())


def test_folder_normalises_by_dtype_when_asked(tmp_path):
    write_pair(tmp_path, "a", np.full((4, 4), 65535, np.uint16), np.zeros((4, 4), np.uint8))
    image, _ = ImageMaskFolder(tmp_path / "images", tmp_path / "masks", normalize="dtype")[0]
    assert image.max() == 1.0


def test_folder_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        ImageMaskFolder(tmp_path / "nowhere", tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(DataError, match="holds no images"):
        ImageMaskFolder(tmp_path / "images", tmp_path / "masks")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "images" / "lonely.png")
    with pytest.raises(DataError, match=r"lonely.png has no mask: expected .*lonely_mask"):
        ImageMaskFolder(tmp_path / "images", tmp_path / "masks", mask_suffix="_mask")


def test_folder_refuses_mismatched_sizes_and_unreadable_files_when_built(tmp_path):
    write_pair(tmp_path, "a", np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))
    with pytest.raises(DataError, match=r"a.png is 4x4 but its mask .*a.png is 4x5"):
        ImageMaskFolder(tmp_path / "images", tmp_path / "masks")
    write_pair(tmp_path, "a", np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8))
    (tmp_path / "images" / "b.png").write_bytes(b"not a png")
    (tmp_path / "masks" / "b.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read .*b.png: expected a PNG or TIFF"):
        ImageMaskFolder(tmp_path / "images", tmp_path / "masks")
    data = ImageMaskFolder(tmp_path / "images", tmp_path / "masks", check=False)  # errors come when read
    assert data.sizes is None and data[0][0].shape == (1, 4, 4)
    with pytest.raises(DataError, match=r"cannot read .*b.png"):
        data[1]
