"""Files to arrays: a PNG or TIFF file -> planes (C, H, W) and its alpha channel (H, W), kept apart.

PIL reads PNG (and palette, grey+alpha, RGBA files); tifffile reads TIFF, whose channels may come
last (H, W, C) or first (C, H, W). Alpha is returned beside the planes and never mixed into them:
an image ignores it, and a mask never counts it as a label.
"""

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from ..i18n import tr

ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


class DataError(ValueError):
    """A file of a dataset that cannot be used as it is: the message names the file and the fix."""


def read_pil(path, role):
    """(array, has_alpha) of a PNG: palette images as colours for an image, as their indices for a mask."""
    with Image.open(path) as file:
        if file.mode == "P" and role == "image":
            file = file.convert("RGBA" if "transparency" in file.info else "RGB")
        elif file.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            file = file.convert("RGB")
        has_alpha = file.mode in ALPHA_MODES
        array = np.asarray(file)
    return (array.astype(np.uint8) if array.dtype == bool else array), has_alpha


def read_array(path, role="image"):
    """(array, has_alpha) of a PNG or TIFF file as stored, or a DataError naming the file."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            array = np.asarray(tifffile.imread(path))
            return (array.astype(np.uint8) if array.dtype == bool else array), None
        return read_pil(path, role)
    except (OSError, ValueError, UnidentifiedImageError, tifffile.TiffFileError) as error:
        raise DataError(
            tr(
                "cannot read {path}: expected a PNG or TIFF image ({kind}: {error}). "
                "Re-export the file as PNG or TIFF, or remove it and its mask.",
                path=path,
                kind=type(error).__name__,
                error=error,
            )
        ) from error


def to_planes(array, path):
    """(C, H, W) from (H, W), (H, W, C) with C <= 4 (channels last) or (C, H, W) with C <= 16 (channels first)."""
    if array.ndim == 2:
        return array[None]
    if array.ndim == 3:
        a, b, c = array.shape
        if c <= 4 and c < min(a, b):
            return np.moveaxis(array, -1, 0)
        if a <= 16 and a < min(b, c):
            return array
    raise DataError(
        tr(
            "{path} has shape {shape}: expected one image, (H, W), (H, W, C) or (C, H, W) with a few "
            "channels. A stack of planes (Z, H, W) or a time series must be saved one plane per file.",
            path=path,
            shape=array.shape,
        )
    )


def read_planes(path, role="image"):
    """(planes (C, H, W), alpha (H, W) or None) of one file; alpha is the last of 2 or 4 channels-last ones."""
    array, has_alpha = read_array(path, role)
    channels_last = array.ndim == 3 and array.shape[-1] in (2, 4) and array.shape[-1] < min(array.shape[:2])
    if has_alpha or (has_alpha is None and channels_last):
        return to_planes(array[..., :-1], path), array[..., -1]
    return to_planes(array, path), None


def check_finite(planes, path):
    """A DataError if a float file holds NaN or infinite pixels (one NaN pixel makes every weight NaN)."""
    if np.issubdtype(planes.dtype, np.floating) and not np.isfinite(planes).all():
        bad = int((~np.isfinite(planes)).sum())
        raise DataError(
            tr(
                "{path} has {bad} NaN or infinite pixels: training on them makes every weight NaN. "
                "Replace them (e.g. np.nan_to_num) and save the file again, or remove it and its mask.",
                path=path,
                bad=bad,
            )
        )


COLORS = (None, "gray", "rgb")


def is_gray_rgb(planes):
    """True for 3 planes that are equal: a grayscale image saved as RGB."""
    return planes.shape[0] == 3 and np.array_equal(planes[0], planes[1]) and np.array_equal(planes[1], planes[2])


def select_channels(planes, path, in_channels=1, color=None):
    """planes with in_channels channels: kept, or converted only as ``color`` says ("gray": mean; "rgb": x3).

    An RGB file whose three channels are equal is gray already and gives one plane without asking.
    Anything else that does not match in_channels is refused, never converted silently.
    """
    if color == "gray":
        planes = planes.astype(np.float32).mean(0, keepdims=True) if planes.shape[0] > 1 else planes
    elif color == "rgb" and planes.shape[0] == 1:
        planes = np.repeat(planes, 3, axis=0)
    elif color is None and in_channels == 1 and is_gray_rgb(planes):
        planes = planes[:1]
    if planes.shape[0] != in_channels:
        raise DataError(_channels_message(path, planes.shape[0], in_channels, color))
    return planes


def _channels_message(path, channels, in_channels, color):
    """Why a file's channels do not fit in_channels, and the three ways out."""
    if color:
        return tr(
            "{path} has {channels} channel(s) but in_channels={in_channels} (after color={color!r}): pass "
            "color='gray' to convert colour images to one gray plane (the mean of the channels), color='rgb' to "
            "repeat a gray plane 3 times, or set in_channels to the files' channels (and the model's in_channels "
            "with it).",
            path=path,
            channels=channels,
            in_channels=in_channels,
            color=color,
        )
    return tr(
        "{path} has {channels} channel(s) but in_channels={in_channels}: pass color='gray' to convert colour "
        "images to one gray plane (the mean of the channels), color='rgb' to repeat a gray plane 3 times, or set "
        "in_channels to the files' channels (and the model's in_channels with it).",
        path=path,
        channels=channels,
        in_channels=in_channels,
    )
