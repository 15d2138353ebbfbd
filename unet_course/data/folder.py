"""Real image/mask pairs from files, every file checked when the dataset is built.

A pair is read as: file -> planes and alpha (``read``) -> image planes scaled to [0, 1] (``scale``),
mask -> target (``masks``). Building the dataset reads every pair once, so that unreadable files,
mismatched sizes, NaN pixels, masks almost all foreground and class values out of range are refused
before training starts, each naming the file and the fix.
"""

from collections import Counter
from pathlib import Path

import torch
from torch.utils.data import Dataset

from ..i18n import tr
from .masks import check_mask_mode, make_target
from .read import COLORS, DataError, check_finite, read_planes, select_channels
from .scale import check_method, normalize

EXTENSIONS = (".png", ".tif", ".tiff")


def load_pair(image_path, mask_path, options):
    """(image (C, H, W) float32 in [0, 1], target) of one pair; options as ``ImageMaskPairs`` keeps them."""
    planes, _ = read_planes(image_path, "image")
    check_finite(planes, image_path)
    image = normalize(planes, options["normalize"], image_path)  # the file's own dtype decides, before any mean
    image = select_channels(image, image_path, options["in_channels"], options["color"])
    mask_planes, alpha = read_planes(mask_path, "mask")
    if planes.shape[-2:] != mask_planes.shape[-2:]:
        (h, w), (mh, mw) = planes.shape[-2:], mask_planes.shape[-2:]
        raise DataError(
            tr(
                "{image} is {h}x{w} but its mask {mask} is {mh}x{mw}: an image and its mask must have "
                "the same height and width. Check that the mask belongs to this image.",
                image=image_path,
                mask=mask_path,
                h=h,
                w=w,
                mh=mh,
                mw=mw,
            )
        )
    target = make_target(
        mask_planes, alpha, mask_path, options["mask_mode"], options["num_classes"], options["max_foreground"]
    )
    return image, target


class ImageMaskPairs(Dataset):
    """Item i = (image (C, H, W) float32 in [0, 1], mask) read from the i-th (image path, mask path).

    mask: (1, H, W) float32 0/1 with ``mask_mode="binary"`` (every label != 0 is 1), or (H, W)
    int64 class indices with ``mask_mode="classes"`` (checked against ``num_classes`` when given).
    ``normalize``: "percentile" (default; each file on its own, between its 1st and 99.8th
    percentile, so it works on 12-bit data in 16-bit files), "minmax" (each file), "dtype"
    (uint8 / 255, uint16 / 65535, refusing 12-bit data) or a bit depth such as 12 (the same for all files).
    ``in_channels`` channels per image; colour files are converted only with ``color="gray"``
    (mean of channels) and gray ones repeated only with ``color="rgb"``. Every pair is read once
    here (``check=False`` skips it); ``cache=True`` keeps what was read in memory.
    """

    def __init__(self, pairs, normalize="percentile", in_channels=1, color=None, mask_mode="binary", **more):
        self.pairs = [(Path(a), Path(b)) for a, b in pairs]
        self.options = dict(normalize=normalize, in_channels=in_channels, color=color, mask_mode=mask_mode)
        self.options.update(num_classes=more.pop("num_classes", None), max_foreground=more.pop("max_foreground", 0.95))
        check, cache = more.pop("check", True), more.pop("cache", False)
        if more:
            raise TypeError(
                tr(
                    "unknown options {names}: expected num_classes, max_foreground, check, cache.",
                    names=sorted(more),
                )
            )
        check_options(self.options)
        if not self.pairs:
            raise DataError(
                tr("no image/mask pairs were given: expected a list of (image path, mask path). Check the folder.")
            )
        self.cache = [load_pair(a, b, self.options) for a, b in self.pairs] if check or cache else None
        self.sizes = [tuple(image.shape[-2:]) for image, _ in self.cache] if self.cache else None
        if not cache:
            self.cache = None

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        if self.cache:  # copies: changing an item in place must not change the cache
            return tuple(torch.from_numpy(array.copy()) for array in self.cache[i])
        image, mask = load_pair(*self.pairs[i], self.options)
        return torch.from_numpy(image), torch.from_numpy(mask)

    def same_size(self):
        """True when every image has the same (H, W) (so that a loader may batch them)."""
        return self.sizes is None or len(set(self.sizes)) == 1


def check_options(options):
    """ValueErrors for options no file could satisfy (before any file is read)."""
    check_method(options["normalize"])
    check_mask_mode(options["mask_mode"], options["num_classes"])
    if options["color"] not in COLORS:
        raise ValueError(
            tr(
                "{name}={value!r} is not supported: expected one of {choices}.",
                name="color",
                value=options["color"],
                choices=COLORS,
            )
        )
    if not isinstance(options["in_channels"], int) or options["in_channels"] < 1:
        raise ValueError(
            tr(
                "{name} must be a positive whole number, got {value!r}.",
                name="in_channels",
                value=options["in_channels"],
            )
        )
    if options["color"] == "gray" and options["in_channels"] != 1:
        raise ValueError(
            tr(
                "color='gray' makes one channel, but in_channels={in_channels}: pick one.",
                in_channels=options["in_channels"],
            )
        )


def image_files(folder, exclude_suffix=""):
    """{stem: path} of the PNG/TIFF files of a folder, refusing two files with one name (a.png and a.tif)."""
    if not folder.is_dir():
        raise DataError(
            tr("{folder} is not a folder: expected a folder of PNG or TIFF files. Check the path.", folder=folder)
        )
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    if exclude_suffix:
        files = [p for p in files if not p.stem.endswith(exclude_suffix)]
    twice = [stem for stem, n in Counter(p.stem for p in files).items() if n > 1]
    if twice:
        names = ", ".join(p.name for p in files if p.stem == twice[0])
        raise DataError(
            tr(
                "{folder} holds {names}: two files named {stem!r} would share one mask. Rename or remove one.",
                folder=folder,
                names=names,
                stem=twice[0],
            )
        )
    return {p.stem: p for p in files}


def find_pairs(images_dir, masks_dir, mask_suffix=""):
    """[(image, mask)] matched by name: images_dir/NAME.ext <-> masks_dir/NAME{mask_suffix}.ext (any extension)."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    same = mask_suffix and images_dir.resolve() == masks_dir.resolve()
    images = image_files(images_dir, mask_suffix if same else "")
    masks = image_files(masks_dir)
    if not images:
        raise DataError(
            tr(
                "{folder} holds no images: expected files ending in {extensions}. "
                "Check the path, or convert the images to PNG or TIFF.",
                folder=images_dir,
                extensions=", ".join(EXTENSIONS),
            )
        )
    pairs = []
    for stem, image in images.items():
        mask = masks.get(stem + mask_suffix)
        lossy = sorted(Path(masks_dir).glob(f"{stem + mask_suffix}.jp*g")) if mask is None else []
        if lossy:
            raise DataError(
                tr(
                    "{image} has its mask as {found}, a JPEG: JPEG compression changes pixel values, so its labels "
                    "cannot be trusted. Save the mask as PNG or TIFF (lossless), e.g. {mask}.png.",
                    image=image,
                    found=lossy[0],
                    mask=masks_dir / (stem + mask_suffix),
                )
            )
        if mask is None:
            raise DataError(
                tr(
                    "{image} has no mask: expected {mask}.png or .tif. "
                    "Add the mask, remove the image, or set mask_suffix to how mask names end (e.g. '_mask').",
                    image=image,
                    mask=masks_dir / (stem + mask_suffix),
                )
            )
        pairs.append((image, mask))
    return pairs


class ImageMaskFolder(ImageMaskPairs):
    """A folder of images and a folder of masks with the same names (masks may end in ``mask_suffix``).

    Items and options as ``ImageMaskPairs``: by default images are scaled per file between their
    1st and 99.8th percentile, and masks are binary (every label != 0 is 1).
    """

    def __init__(self, images_dir, masks_dir, mask_suffix="", **options):
        super().__init__(find_pairs(images_dir, masks_dir, mask_suffix), **options)
