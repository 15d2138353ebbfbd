"""The real nuclei that ship with the package: files, splits, pixel values, licence and packaging."""

import csv
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

import unet_course
from unet_course.data import ImageMaskFolder
from unet_course.data.sample import SPLIT_SIZES, SPLITS, sample_nuclei_dir, sample_nuclei_pairs

ROOT = Path(__file__).resolve().parents[1]


def raw(pair):
    """(image, mask) as stored: uint16 TIFF, uint8 label PNG."""
    image_path, mask_path = pair
    with Image.open(mask_path) as file:
        return tifffile.imread(image_path), np.asarray(file)


def test_the_folder_is_a_path_inside_the_package():
    folder = sample_nuclei_dir()
    assert isinstance(folder, Path)
    assert folder == Path(unet_course.__file__).parent / "data" / "samples" / "nuclei"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["test", "train", "val"]


@pytest.mark.parametrize("split", SPLITS)
def test_every_split_has_its_pairs_and_each_mask_has_the_image_s_name(split):
    pairs = sample_nuclei_pairs(split)
    assert len(pairs) == SPLIT_SIZES[split] == {"train": 8, "val": 2, "test": 2}[split]
    for image, mask in pairs:
        assert image.is_file() and mask.is_file()
        assert image.parent == sample_nuclei_dir() / split / "images" and image.suffix == ".tif"
        assert mask.parent == sample_nuclei_dir() / split / "masks" and mask.name == image.stem + ".png"


def test_all_is_the_three_splits_and_no_field_of_view_is_in_two():
    names = [image.stem for image, _ in sample_nuclei_pairs()]
    assert [pair for split in SPLITS for pair in sample_nuclei_pairs(split)] == sample_nuclei_pairs(None)
    assert len(names) == len(set(names)) == 12


def test_an_unknown_split_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"split='validation' is not a split of the sample: expected one of"):
        sample_nuclei_pairs("validation")


@pytest.mark.parametrize("pair", sample_nuclei_pairs(), ids=lambda pair: pair[0].stem)
def test_images_are_16_bit_12_bit_data_and_masks_are_labels_of_the_same_size(pair):
    image, mask = raw(pair)
    assert image.dtype == np.uint16 and mask.dtype == np.uint8
    assert image.shape == mask.shape == (256, 256)
    assert image.max() <= 4095  # 12 bits used, as acquired
    low, high = np.percentile(image, (1, 99.8))
    assert high - low > 300  # not blank
    labels = np.unique(mask)
    assert labels[0] == 0 and list(labels) == list(range(len(labels)))  # 0, 1..N, no gap
    assert len(labels) - 1 >= 5  # several nuclei
    assert 0.05 <= (mask > 0).mean() <= 0.60


@pytest.mark.parametrize("pair", sample_nuclei_pairs(), ids=lambda pair: pair[0].stem)
def test_the_nuclei_of_the_mask_are_the_bright_parts_of_its_image(pair):
    image, mask = raw(pair)
    inside, outside = np.median(image[mask > 0]), np.median(image[mask == 0])
    assert inside > 2 * outside  # the mask lies on its own image, not shifted or swapped


@pytest.mark.parametrize("split", SPLITS)
def test_the_course_s_folder_dataset_reads_each_split(split):
    folder = sample_nuclei_dir() / split
    data = ImageMaskFolder(folder / "images", folder / "masks")
    assert len(data) == SPLIT_SIZES[split]
    for (image, mask), pair in zip(data, sample_nuclei_pairs(split)):
        assert image.shape == mask.shape == (1, 256, 256)
        assert 0 <= image.min() and image.max() <= 1
        assert mask.mean().item() == pytest.approx((raw(pair)[1] > 0).mean())


def test_the_manifest_names_every_pair_its_source_and_its_crop():
    with open(sample_nuclei_dir() / "manifest.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    rows = sorted(rows, key=lambda row: (SPLITS.index(row["split"]), row["name"]))
    assert [(row["split"], row["name"]) for row in rows] == [
        (split, image.stem) for split in SPLITS for image, _ in sample_nuclei_pairs(split)
    ]
    for row, pair in zip(rows, sample_nuclei_pairs()):
        mask = raw(pair)[1]
        source = row["source_image"].removeprefix(f"cell nuclei/images/IXMtest_{row['name']}_w1")
        assert source != row["source_image"] and source.endswith(".tif")
        assert row["source_mask"] == row["source_image"].replace("/images/", "/masks/").replace(".tif", ".png")
        assert (row["top"], row["left"], row["height"], row["width"]) == ("132", "220", "256", "256")
        assert int(row["nuclei"]) == mask.max()
        assert float(row["foreground"]) == pytest.approx((mask > 0).mean(), abs=5e-4)


def test_the_readme_states_source_licence_and_citation_and_names_no_host():
    text = (sample_nuclei_dir() / "README.md").read_text()
    for needed in ("BBBC039v1", "CC0 1.0", "Caicedo", "Ljosa", "DeepTrackAI/cell_counting_dataset", "d460149b"):
        assert needed in text, needed
    for host in ("http", "www.", ".org", ".com", ".edu"):
        assert host not in text, host


def test_package_data_installs_every_file_of_the_sample():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = Path(unet_course.__file__).parent / "data"
    installed = {path for pattern in patterns["unet_course.data"] for path in package.glob(pattern)}
    shipped = {path for path in sample_nuclei_dir().rglob("*") if path.is_file()}
    assert len(shipped) == 2 * 12 + 2
    assert installed == shipped


def test_sample_is_exported_from_the_data_package():
    import unet_course.data as data

    assert data.sample_nuclei_pairs is sample_nuclei_pairs and data.sample_nuclei_dir is sample_nuclei_dir
    assert {"sample_nuclei_pairs", "sample_nuclei_dir"} <= set(data.__all__)
