"""Twelve real fluorescence-nuclei image/mask pairs that ship with the package: works offline, on Binder.

Source: image set BBBC039v1 (Caicedo et al. 2019, "Evaluation of Deep Learning Strategies for Nucleus
Segmentation in Fluorescence Images", Cytometry Part A 95(9), doi:10.1002/cyto.a.23863), from the
Broad Bioimage Benchmark Collection (Ljosa et al., Nature Methods 2012): Hoechst-stained U2OS nuclei,
hand-annotated. Licence: CC0 1.0 (the BBBC: "the various contributors of the imagesets have waived all
copyright and related or neighboring rights to BBBC039v1"). The files were taken from the GitHub
repository DeepTrackAI/cell_counting_dataset (a CC0 copy of BBBC039v1), commit d460149b.

Each pair is the central 256x256 crop of one field of view: the image a 16-bit TIFF (12 bits used,
values as acquired), the mask an 8-bit PNG of instance labels (0 background, 1..N one nucleus each).
Split by field of view, fixed: ``train`` 8 pairs, ``val`` 2, ``test`` 2. ``samples/nuclei/README.md``
says how the crops were made; ``manifest.csv`` names the source file and crop box of each pair.

This module only finds the files; read them with ``unet_course.data.ImageMaskFolder`` (or ``load_pair``):
``ImageMaskFolder(sample_nuclei_dir() / "train" / "images", sample_nuclei_dir() / "train" / "masks")``.
"""

from importlib import resources
from pathlib import Path

from ..i18n import tr

SPLITS = ("train", "val", "test")
SPLIT_SIZES = {"train": 8, "val": 2, "test": 2}


def sample_nuclei_dir():
    """The folder of the shipped sample (a ``Path``): ``train/``, ``val/``, ``test/``, README.md, manifest.csv."""
    folder = resources.files("unet_course.data") / "samples" / "nuclei"
    if not isinstance(folder, Path) or not folder.is_dir():
        raise FileNotFoundError(
            tr(
                "the sample of real nuclei is missing: expected a folder at {folder}. "
                "Reinstall the course (pip install -e .) so that unet_course/data/samples/ is installed with it.",
                folder=folder,
            )
        )
    return folder


def split_pairs(split):
    """[(image path, mask path)] of one split, sorted by name: images/NAME.tif <-> masks/NAME.png."""
    folder = sample_nuclei_dir() / split
    images = sorted((folder / "images").glob("*.tif"))
    pairs = [(image, folder / "masks" / f"{image.stem}.png") for image in images]
    missing = [str(mask) for _, mask in pairs if not mask.is_file()]
    if len(pairs) != SPLIT_SIZES[split] or missing:
        raise FileNotFoundError(
            tr(
                "the {split!r} split of the sample is incomplete in {folder}: expected {expected} "
                "image/mask pairs, found {found} images, missing masks {missing}. Reinstall the course.",
                split=split,
                folder=folder,
                expected=SPLIT_SIZES[split],
                found=len(pairs),
                missing=missing,
            )
        )
    return pairs


def sample_nuclei_pairs(split=None):
    """[(image path, mask path)] of one split ("train", "val", "test"), or of all three (split=None)."""
    if split is None:
        return [pair for name in SPLITS for pair in split_pairs(name)]
    if split not in SPLITS:
        raise ValueError(
            tr(
                "split={split!r} is not a split of the sample: expected one of {choices} or None (all).",
                split=split,
                choices=SPLITS,
            )
        )
    return split_pairs(split)
