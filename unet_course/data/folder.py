"""Real image/mask pairs from files: 8/16-bit grayscale PNG or TIFF, masks binary or instance labels."""

from pathlib import Path

import numpy as np
import tifffile
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

EXTENSIONS = (".png", ".tif", ".tiff")
NORMALIZE = ("percentile", "minmax", "dtype")


class DataError(ValueError):
    """A file of a dataset that cannot be used as it is: the message names the file and the fix."""


def read_array(path):
    """The pixels of a PNG or TIFF file as a numpy array, or a DataError naming the file."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            return np.asarray(tifffile.imread(path))
        with Image.open(path) as file:
            return np.asarray(file)
    except (OSError, ValueError, UnidentifiedImageError, tifffile.TiffFileError) as error:
        raise DataError(
            f"cannot read {path}: expected a PNG or TIFF image ({type(error).__name__}: {error}). "
            "Re-export the file as PNG or TIFF, or remove it and its mask."
        ) from error


def to_gray(array, path):
    """(H, W) from (H, W) or (H, W, 3|4) (the mean of the colour channels), or a DataError."""
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        return array[..., :3].astype(np.float32).mean(-1)
    if array.ndim != 2:
        raise DataError(f"{path} has shape {array.shape}: expected one grayscale plane (H, W). Save one channel.")
    return array


def normalize(image, method="percentile", low=1.0, high=99.8):
    """float32 image in [0, 1]: by percentiles (robust to hot pixels), min-max, or the dtype's range."""
    if method == "dtype":
        scale = np.iinfo(image.dtype).max if np.issubdtype(image.dtype, np.integer) else 1.0
        return np.clip(image.astype(np.float32) / scale, 0, 1)
    image = image.astype(np.float32)
    lo, hi = np.percentile(image, (low, high)) if method == "percentile" else (image.min(), image.max())
    return np.clip((image - lo) / max(float(hi - lo), 1e-6), 0, 1).astype(np.float32)


def load_pair(image_path, mask_path, method="percentile"):
    """(image, mask) float32 (H, W): image normalised to [0, 1], mask 1 wherever the label is not 0."""
    image = to_gray(read_array(image_path), image_path)
    mask = read_array(mask_path)
    mask = (mask.reshape(*mask.shape[:2], -1) != 0).any(-1) if mask.ndim == 3 else mask != 0
    if image.shape != mask.shape:
        raise DataError(
            f"{image_path} is {image.shape[0]}x{image.shape[1]} but its mask {mask_path} is "
            f"{mask.shape[0]}x{mask.shape[1]}: an image and its mask must have the same height and width. "
            "Check that the mask belongs to this image."
        )
    return normalize(image, method), mask.astype(np.float32)


class ImageMaskPairs(Dataset):
    """Item i = (image (1, H, W), mask (1, H, W)) float32 read from the i-th (image path, mask path)."""

    def __init__(self, pairs, normalize="percentile"):
        if normalize not in NORMALIZE:
            raise ValueError(f"normalize={normalize!r} is not supported: expected one of {NORMALIZE}.")
        self.pairs, self.normalize = [(Path(a), Path(b)) for a, b in pairs], normalize

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        image, mask = load_pair(*self.pairs[i], self.normalize)
        return torch.from_numpy(image)[None], torch.from_numpy(mask)[None]


def find_pairs(images_dir, masks_dir, mask_suffix=""):
    """[(image, mask)] matched by name: images_dir/NAME.ext <-> masks_dir/NAME{mask_suffix}.ext (any extension)."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    for folder in (images_dir, masks_dir):
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder: expected a folder of PNG or TIFF files. Check the path.")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in EXTENSIONS)
    if not images:
        raise DataError(
            f"{images_dir} holds no images: expected files ending in {', '.join(EXTENSIONS)}. "
            "Check the path, or convert the images to PNG or TIFF."
        )
    masks = {p.stem: p for p in masks_dir.iterdir() if p.suffix.lower() in EXTENSIONS}
    pairs = []
    for image in images:
        mask = masks.get(image.stem + mask_suffix)
        if mask is None:
            raise DataError(
                f"{image} has no mask: expected {masks_dir / (image.stem + mask_suffix)}.png or .tif. "
                "Add the mask, remove the image, or set mask_suffix to how mask names end (e.g. '_mask')."
            )
        pairs.append((image, mask))
    return pairs


class ImageMaskFolder(ImageMaskPairs):
    """A folder of images and a folder of masks with the same names (masks may end in ``mask_suffix``)."""

    def __init__(self, images_dir, masks_dir, mask_suffix="", normalize="percentile"):
        super().__init__(find_pairs(images_dir, masks_dir, mask_suffix), normalize)
