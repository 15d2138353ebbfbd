"""Files read right whatever their format, and bad data refused when the dataset is built, naming the file."""

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from unet_course.data import DataError, ImageMaskFolder, ImageMaskPairs, instance_to_classes

LABELS = np.zeros((8, 10), np.uint8)
LABELS[1:4, 1:4], LABELS[5:8, 5:9] = 1, 7  # two instances: 9 + 12 pixels
BINARY = torch.from_numpy(LABELS != 0).float()[None]


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".tif":
        tifffile.imwrite(path, array)
    else:
        Image.fromarray(array, mode).save(path) if mode else Image.fromarray(array).save(path)
    return path


def pair(tmp_path, image, mask, name="a", image_ext=".png", mask_ext=".png"):
    return save(tmp_path / "images" / f"{name}{image_ext}", image), save(tmp_path / "masks" / f"{name}{mask_ext}", mask)


def gray_image():
    return np.arange(80, dtype=np.uint8).reshape(8, 10)


def test_rgba_and_grey_alpha_masks_never_count_alpha(tmp_path):
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = LABELS, 255  # BBBC039: labels in red, G = B = 0, alpha 255
    grey_alpha = np.stack([LABELS * 30, np.full_like(LABELS, 255)], -1)
    for k, mask in enumerate((rgba, grey_alpha)):
        pairs = [pair(tmp_path / str(k), gray_image(), mask)]
        _, target = ImageMaskPairs(pairs)[0]
        assert torch.equal(target, BINARY)


def test_colour_coded_and_0_255_masks(tmp_path):
    colours = np.zeros((8, 10, 3), np.uint8)
    colours[1:4, 1:4], colours[5:8, 5:9] = (0, 200, 10), (30, 0, 90)
    for k, mask in enumerate((colours, (LABELS != 0).astype(np.uint8) * 255, np.stack([LABELS] * 3, -1))):
        _, target = ImageMaskPairs([pair(tmp_path / str(k), gray_image(), mask)])[0]
        assert torch.equal(target, BINARY), k


def test_alpha_only_masks_and_near_full_masks_are_refused_when_built(tmp_path):
    alpha_only = np.zeros((8, 10, 4), np.uint8)
    alpha_only[..., 3] = (LABELS != 0) * 255
    with pytest.raises(DataError, match=r"a.png has its shapes only in the alpha .*Export the mask with the labels"):
        ImageMaskPairs([pair(tmp_path / "1", gray_image(), alpha_only)])
    inverted = np.where(LABELS != 0, 0, 255).astype(np.uint8)
    inverted[0, 0] = 0
    (tmp_path / "2").mkdir()
    full = np.full((8, 10), 255, np.uint8)
    full[0, 0] = 0
    with pytest.raises(DataError, match=r"a.png is 98.8% foreground .*inverted mask.*max_foreground=1.0"):
        ImageMaskPairs([pair(tmp_path / "2", gray_image(), full)])
    _, target = ImageMaskPairs([pair(tmp_path / "2", gray_image(), full)], max_foreground=1.0)[0]
    assert target.sum() == 79


def test_8_16_bit_and_float_images(tmp_path):
    ramp = np.linspace(0, 1, 80, dtype=np.float32).reshape(8, 10)
    images = [(ramp * 255).astype(np.uint8), (ramp * 65535).astype(np.uint16), ramp]
    for k, (image, ext) in enumerate(zip(images, (".png", ".png", ".tif"))):
        loaded, _ = ImageMaskPairs([pair(tmp_path / str(k), image, LABELS, image_ext=ext)], normalize="dtype")[0]
        assert loaded.dtype == torch.float32 and loaded.shape == (1, 8, 10)
        assert torch.allclose(loaded[0], torch.from_numpy(ramp), atol=1 / 255)


def test_12_bit_in_16_bit_files(tmp_path):
    raw = (np.arange(80, dtype=np.uint16).reshape(8, 10) * 50).astype(np.uint16)  # max 3950 < 4096
    pairs = [pair(tmp_path, raw, LABELS, image_ext=".tif")]
    with pytest.raises(DataError, match=r"a.tif is a 16-bit file whose values stay below 4096 \(max 3950\)"):
        ImageMaskPairs(pairs, normalize="dtype")
    assert torch.allclose(ImageMaskPairs(pairs, normalize=12)[0][0][0], torch.from_numpy(raw / 4095).float())
    default = ImageMaskPairs(pairs)[0][0]  # percentile, per file
    assert default.max() == 1 and default.min() == 0 and (default[0, 4] > 0.4).all()
    with pytest.raises(DataError, match=r"values in \[0, 3950\], outside \[0, 1023\]"):
        ImageMaskPairs(pairs, normalize=10)
    with pytest.raises(ValueError, match="normalize='bits' is not supported"):
        ImageMaskPairs(pairs, normalize="bits")


def test_rgb_images_are_kept_converted_or_refused_never_silently(tmp_path):
    rgb = np.stack([gray_image(), gray_image() // 2, np.zeros((8, 10), np.uint8)], -1)
    pairs = [pair(tmp_path, rgb, LABELS)]
    with pytest.raises(DataError, match=r"a.png has 3 channel\(s\) but in_channels=1: pass color='gray'"):
        ImageMaskPairs(pairs)
    kept = ImageMaskPairs(pairs, in_channels=3, normalize="dtype")[0][0]
    assert kept.shape == (3, 8, 10) and torch.equal(kept[1], torch.from_numpy(rgb[..., 1] / 255).float())
    gray = ImageMaskPairs(pairs, color="gray", normalize="dtype")[0][0]
    assert torch.allclose(gray[0], torch.from_numpy(rgb.mean(-1) / 255).float())
    same = pair(tmp_path / "g", np.stack([gray_image()] * 3, -1), LABELS)  # gray saved as RGB: exact, allowed
    assert ImageMaskPairs([same], normalize="dtype")[0][0].shape == (1, 8, 10)
    assert ImageMaskPairs([same], in_channels=3, color="rgb")[0][0].shape == (3, 8, 10)
    with pytest.raises(ValueError, match="color='gray' makes one channel, but in_channels=3"):
        ImageMaskPairs(pairs, in_channels=3, color="gray")


def test_channel_first_tiffs_and_rgba_images(tmp_path):
    planes = np.stack([gray_image(), 255 - gray_image()]).astype(np.uint8)  # (2, 8, 10)
    image, _ = ImageMaskPairs([pair(tmp_path, planes, LABELS, image_ext=".tif")], in_channels=2, normalize="dtype")[0]
    assert image.shape == (2, 8, 10) and torch.equal(image[1], torch.from_numpy(planes[1] / 255).float())
    rgba = np.concatenate([np.stack([gray_image()] * 3, -1), np.full((8, 10, 1), 7, np.uint8)], -1)
    image, _ = ImageMaskPairs([pair(tmp_path / "b", rgba, LABELS)], normalize="dtype")[0]  # alpha dropped
    assert torch.equal(image[0], torch.from_numpy(gray_image() / 255).float())
    with pytest.raises(DataError, match=r"has shape \(9, 8, 10\).*one plane per file"):
        ImageMaskPairs([pair(tmp_path / "c", np.zeros((9, 8, 10), np.uint8), LABELS, image_ext=".tif")])


def test_nan_pixels_and_smoothed_masks_are_refused(tmp_path):
    image = np.linspace(0, 1, 80, dtype=np.float32).reshape(8, 10)
    image[2, 3] = np.nan
    with pytest.raises(DataError, match=r"a.tif has 1 NaN or infinite pixels"):
        ImageMaskPairs([pair(tmp_path, image, LABELS, image_ext=".tif")])
    soft = (LABELS != 0).astype(np.float32) * 0.5
    with pytest.raises(DataError, match=r"a.tif holds values that are not whole numbers \(e.g. 0.5"):
        ImageMaskPairs([pair(tmp_path / "b", gray_image(), soft, mask_ext=".tif")])


def test_class_masks_are_int64_and_checked_against_num_classes(tmp_path):
    classes = np.zeros((8, 10), np.uint8)
    classes[1:4, 1:4], classes[5:8, 5:9] = 1, 2
    pairs = [pair(tmp_path, gray_image(), classes)]
    _, target = ImageMaskPairs(pairs, mask_mode="classes", num_classes=3)[0]
    assert target.dtype == torch.int64 and target.shape == (8, 10) and torch.equal(target, torch.from_numpy(classes))
    with pytest.raises(DataError, match=r"a.png holds class values \[2\] outside 0..1 \(num_classes=2\)"):
        ImageMaskPairs(pairs, mask_mode="classes", num_classes=2)
    with pytest.raises(ValueError, match="mask_mode='labels' is not supported"):
        ImageMaskPairs(pairs, mask_mode="labels")
    colours = np.stack([classes * 40, classes, classes], -1)
    with pytest.raises(DataError, match="codes its labels as RGB colours: mask_mode='classes' needs"):
        ImageMaskPairs([pair(tmp_path / "b", gray_image(), colours)], mask_mode="classes")


def test_instance_to_classes_splits_touching_nuclei():
    labels = np.zeros((5, 8), np.int64)
    labels[1:4, 1:4], labels[1:4, 4:7] = 1, 2  # two 3x3 nuclei that touch
    expected = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0],
            [0, 2, 2, 2, 2, 2, 2, 0],
            [0, 2, 1, 2, 2, 1, 2, 0],
            [0, 2, 2, 2, 2, 2, 2, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],
        ]
    )
    assert np.array_equal(instance_to_classes(labels), expected)
    assert instance_to_classes(labels).dtype == np.int64
    assert (instance_to_classes(labels, width=2) != 1).all()  # 3 pixels wide: no interior left at width 2
    with pytest.raises(ValueError, match=r"one plane \(H, W\), got shape \(1, 5, 8\)"):
        instance_to_classes(labels[None])


def test_ambiguous_names_and_empty_pairs_are_refused(tmp_path):
    pair(tmp_path, gray_image(), LABELS)
    save(tmp_path / "images" / "a.tif", gray_image())
    with pytest.raises(DataError, match=r"images holds a.png, a.tif: two files named 'a' would share one mask"):
        ImageMaskFolder(tmp_path / "images", tmp_path / "masks")
    with pytest.raises(DataError, match="no image/mask pairs were given"):
        ImageMaskPairs([])


def test_masks_beside_images_with_a_suffix(tmp_path):
    save(tmp_path / "a.png", gray_image())
    save(tmp_path / "a_mask.png", LABELS)
    data = ImageMaskFolder(tmp_path, tmp_path, mask_suffix="_mask")
    assert len(data) == 1 and torch.equal(data[0][1], BINARY) and data.sizes == [(8, 10)]
    cached = ImageMaskFolder(tmp_path, tmp_path, mask_suffix="_mask", cache=True)
    cached[0][1].zero_()  # an item changed in place leaves the cache as it was
    assert torch.equal(cached[0][1], BINARY) and torch.equal(cached[0][0], data[0][0])
