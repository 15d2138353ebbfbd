"""Mask planes -> labels (H, W) -> the target a loss takes: a binary mask, or a map of class indices.

Labels come from one plane (gray, 0/1, 0/255 or instance labels 1, 2, 3, ...) or from colour:
labels in the red channel with G = B = 0 (BBBC039), three equal channels, or one colour per
object. The alpha channel is never a label. ``instance_to_classes`` turns instance labels into
background / interior / boundary, the classic way to separate touching nuclei.
"""

import numpy as np

from ..i18n import tr
from .read import DataError

MASK_MODES = ("binary", "classes")


def colour_labels(planes):
    """(labels (H, W) int64, coloured): red if G = B = 0 or R = G = B, else one integer per RGB colour."""
    r, g, b = (p.astype(np.int64) for p in planes)
    if not g.any() and not b.any() or (np.array_equal(r, g) and np.array_equal(g, b)):
        return r, False
    return r * 65536 + g * 256 + b, True


def whole_numbers(planes, path):
    """planes as int64, refusing NaN, fractions (a smoothed or resized mask) and negative values."""
    if np.issubdtype(planes.dtype, np.floating) and not np.array_equal(planes, np.round(planes)):
        raise DataError(
            tr(
                "{path} holds values that are not whole numbers (e.g. {example:g}, or NaN): a mask holds labels. "
                "Re-export it without smoothing or antialiasing, resize it with nearest-neighbour, or threshold "
                "it yourself.",
                path=path,
                example=planes[planes != np.round(planes)].flat[0],
            )
        )
    if planes.min() < 0:
        raise DataError(
            tr(
                "{path} holds negative values (min {low}): a mask holds labels 0, 1, 2, ...",
                path=path,
                low=planes.min(),
            )
        )
    return planes.astype(np.int64)


def mask_labels(planes, alpha, path):
    """(labels (H, W) int64, coloured) of a mask's planes (C, H, W); alpha (H, W) or None is never a label."""
    planes = whole_numbers(planes, path)
    if planes.shape[0] == 1:
        labels, coloured = planes[0], False
    elif planes.shape[0] == 3:
        labels, coloured = colour_labels(planes)
    else:
        raise DataError(
            tr(
                "{path} has {channels} channels: expected a mask with one plane (or RGB colours).",
                path=path,
                channels=planes.shape[0],
            )
        )
    if alpha is not None and not labels.any() and alpha.min() != alpha.max():
        raise DataError(
            tr(
                "{path} has its shapes only in the alpha (transparency) channel and zeros elsewhere: the alpha "
                "channel is never read as a label. Export the mask with the labels as gray values (no alpha).",
                path=path,
            )
        )
    return labels, coloured


def binary_target(labels, path, max_foreground=0.95):
    """(1, H, W) float32 0/1 (label != 0 -> 1), refusing masks that are almost all foreground."""
    mask = (labels != 0).astype(np.float32)[None]
    fraction = float(mask.mean())
    if fraction > max_foreground:
        raise DataError(
            tr(
                "{path} is {percent:.1f}% foreground (more than max_foreground={max_foreground}): probably "
                "an inverted mask (objects 0, background 255; invert it) or a channel read as a label. If the "
                "mask is right, pass max_foreground=1.0.",
                path=path,
                percent=100 * fraction,
                max_foreground=max_foreground,
            )
        )
    return mask


def class_target(labels, coloured, path, num_classes=None):
    """(H, W) int64 class indices, refused outside 0..num_classes-1 or when coded as colours."""
    if coloured:
        raise DataError(
            tr(
                "{path} codes its labels as RGB colours: mask_mode='classes' needs class indices 0, 1, 2, ... in "
                "one gray plane. Save the class map as an 8-bit gray PNG, or use mask_mode='binary'.",
                path=path,
            )
        )
    if num_classes is not None and labels.max() >= num_classes:
        found = sorted(int(v) for v in np.unique(labels[labels >= num_classes]))[:5]
        raise DataError(
            tr(
                "{path} holds class values {found} outside 0..{last} (num_classes={num_classes}): "
                "set num_classes to the number of classes, or fix the mask.",
                path=path,
                found=found,
                last=num_classes - 1,
                num_classes=num_classes,
            )
        )
    return labels


def check_mask_mode(mask_mode, num_classes):
    """A ValueError for an unknown mask_mode or a num_classes that is not a whole number >= 2."""
    if mask_mode not in MASK_MODES:
        raise ValueError(
            tr(
                "{name}={value!r} is not supported: expected one of {choices}.",
                name="mask_mode",
                value=mask_mode,
                choices=MASK_MODES,
            )
        )
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
        raise ValueError(
            tr("num_classes must be a whole number >= 2 (or None), got {num_classes!r}.", num_classes=num_classes)
        )


def make_target(planes, alpha, path, mask_mode="binary", num_classes=None, max_foreground=0.95):
    """The training target of one mask file: binary (1, H, W) float32, or classes (H, W) int64."""
    labels, coloured = mask_labels(planes, alpha, path)
    if mask_mode == "binary":
        return binary_target(labels, path, max_foreground)
    return class_target(labels, coloured, path, num_classes)


def instance_to_classes(labels, width=1):
    """Instance labels (H, W) -> classes (H, W) int64: 0 background, 1 interior, 2 boundary.

    A pixel of an object is boundary when one of its 4 neighbours (within ``width`` steps) has
    another label, background or a touching object; so touching nuclei are split by boundary.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(tr("labels must be one plane (H, W), got shape {shape}.", shape=labels.shape))
    edge = np.zeros(labels.shape, bool)
    padded = np.pad(labels, width, mode="edge")
    h, w = labels.shape
    for step in range(1, width + 1):
        for dy, dx in ((step, 0), (-step, 0), (0, step), (0, -step)):
            edge |= padded[width + dy : width + dy + h, width + dx : width + dx + w] != labels
    classes = (labels != 0).astype(np.int64)
    classes[(labels != 0) & edge] = 2
    return classes
