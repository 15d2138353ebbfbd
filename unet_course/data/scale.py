"""Image planes -> float32 in [0, 1]: by percentiles (the default), min-max, the dtype's range, or a bit depth.

"percentile" and "minmax" scale each FILE on its own (all its channels together): tiles cut from one
image into several files get different scalings. "dtype" and a bit depth (e.g. ``normalize=12``)
scale every file the same way, but "dtype" refuses 16-bit files that use only 12 bits (dividing
them by 65535 would squash them into [0, 0.06]); pass ``normalize=12`` for those.
"""

import numpy as np

from ..i18n import tr
from .read import DataError

NORMALIZE = ("percentile", "minmax", "dtype")


def check_method(method):
    """``method`` itself, or a ValueError listing what is accepted."""
    bits = isinstance(method, int) and not isinstance(method, bool) and 1 <= method <= 32
    if method not in NORMALIZE and not bits:
        raise ValueError(
            tr(
                "normalize={method!r} is not supported: expected one of {choices} or a bit depth such as 12 "
                "(values divided by 2**12 - 1).",
                method=method,
                choices=NORMALIZE,
            )
        )
    return method


def by_percentile(planes, low=1.0, high=99.8):
    """(x - p_low) / (p_high - p_low), clipped: a few hot or dead pixels do not set the scale."""
    lo, hi = np.percentile(planes, (low, high))
    return (planes - lo) / max(float(hi - lo), 1e-6)


def by_range(planes, path, top, name):
    """planes / top, refusing values outside [0, top] (they would be clipped away silently)."""
    if planes.min() < 0 or planes.max() > top:
        raise DataError(
            tr(
                "{path} has values in [{low:g}, {high:g}], outside [0, {top:g}] that normalize={name!r} "
                "expects: use normalize='percentile' (per file) or the file's real bit depth.",
                path=path,
                low=planes.min(),
                high=planes.max(),
                top=top,
                name=name,
            )
        )
    return planes / top


def by_dtype(planes, path):
    """uint8 / 255, uint16 / 65535 (refused if it holds 12-bit data), floats as they are (must be in [0, 1])."""
    if planes.dtype == np.uint16 and planes.max() < 4096:
        raise DataError(
            tr(
                "{path} is a 16-bit file whose values stay below 4096 (max {high}): a 12-bit camera, probably. "
                "normalize='dtype' would divide by 65535 and squash it into [0, 0.06]. Pass normalize=12 "
                "(divide by 4095, the same for every file), normalize='percentile' (per file), or normalize=16 "
                "if the file really uses 16 bits and is only dark.",
                path=path,
                high=planes.max(),
            )
        )
    if planes.dtype in (np.uint8, np.uint16):
        return planes / np.iinfo(planes.dtype).max
    if np.issubdtype(planes.dtype, np.floating):
        return by_range(planes, path, 1.0, "dtype")
    raise DataError(
        tr(
            "{path} holds {dtype} pixels, which have no standard range: use normalize='percentile' "
            "or a bit depth (e.g. normalize=16).",
            path=path,
            dtype=planes.dtype,
        )
    )


def normalize(planes, method="percentile", path="image"):
    """float32 planes in [0, 1] (see the module docstring for what each method does)."""
    x = planes.astype(np.float32) if method != "dtype" else planes
    if method == "percentile":
        x = by_percentile(x)
    elif method == "minmax":
        x = (x - x.min()) / max(float(x.max() - x.min()), 1e-6)
    elif method == "dtype":
        x = by_dtype(planes, path)
    else:
        x = by_range(x, path, float(2**method - 1), method)
    return np.clip(x, 0, 1).astype(np.float32)
