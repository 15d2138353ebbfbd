"""What ``fit`` refuses before training starts: bad arguments, and a first batch it cannot learn from.

Each loader's first batch is read once (leaving every random state as it was) and checked:
finite float images scaled to about 0..1, masks holding only the model's classes, sizes the
U can take. Every error names the loader, what was found and how to fix it.
"""

from pathlib import Path

import torch

from ..i18n import tr
from ..inputs import PadToFit, fits
from .checkpoint import unwrap
from .rng import Untouched


def check_arguments(num_epochs, lr, target_dice, checkpoint_dir=None):
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(tr("num_epochs must be a whole number >= 1, got {num_epochs!r}.", num_epochs=num_epochs))
    if not lr > 0:
        raise ValueError(tr("lr must be positive, got {lr!r} (1e-3 is a good start for AdamW).", lr=lr))
    if target_dice is not None and not 0 < target_dice <= 1:
        raise ValueError(tr("target_dice must be in (0, 1], got {target_dice!r}.", target_dice=target_dice))
    if checkpoint_dir is not None and Path(checkpoint_dir).exists() and not Path(checkpoint_dir).is_dir():
        raise NotADirectoryError(
            tr(
                "checkpoint_dir {path!r} is an existing file, not a folder: "
                "pass a folder (fit creates it) such as 'checkpoints'.",
                path=str(checkpoint_dir),
            )
        )


def split_batch(batch, where, num_classes=1):
    """(images float (B, C, H, W), mask) from a loader's item; mask float (B, 1, H, W), or long (B, H, W) classes."""
    if isinstance(batch, (tuple, list)) and len(batch) != 2:
        raise ValueError(
            tr(
                "{where} must yield (images, mask) pairs; it yielded a {kind} of length {length}.",
                where=where,
                kind=type(batch).__name__,
                length=len(batch),
            )
        )
    if not isinstance(batch, (tuple, list)):
        raise ValueError(
            tr(
                "{where} must yield (images, mask) pairs; it yielded a {kind}.",
                where=where,
                kind=type(batch).__name__,
            )
        )
    images, mask = batch
    if not (isinstance(images, torch.Tensor) and isinstance(mask, torch.Tensor)):
        raise TypeError(
            tr(
                "{where} must yield tensors; got ({images}, {mask}).",
                where=where,
                images=type(images).__name__,
                mask=type(mask).__name__,
            )
        )
    if num_classes > 1 and mask.dim() == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    expected = "mask (B, 1, H, W)" if num_classes == 1 else "class mask (B, H, W) or (B, 1, H, W)"
    if images.dim() != 4 or mask.dim() != (4 if num_classes == 1 else 3):
        raise ValueError(
            tr(
                "{where} must yield images (B, C, H, W) and {expected}; got shapes "
                "{images} and {mask}. Does the dataset return (1, H, W) items?",
                where=where,
                expected=expected,
                images=tuple(images.shape),
                mask=tuple(mask.shape),
            )
        )
    if images.shape[0] != mask.shape[0] or images.shape[-2:] != mask.shape[-2:]:
        raise ValueError(
            tr(
                "{where}: images {images} and mask {mask} differ in batch size or H, W.",
                where=where,
                images=tuple(images.shape),
                mask=tuple(mask.shape),
            )
        )
    return images.float(), (mask.float() if num_classes == 1 else mask.long())


def first_batch(loader, where):
    """The loader's first item, read without moving any random state (so training draws what it would)."""
    with Untouched(loader):
        for batch in loader:
            return batch
    raise ValueError(
        tr("{where} is empty: give it at least one batch (is the dataset or the folder empty?).", where=where)
    )


def check_loader(loader, model, where):
    """Read and check ``loader``'s first batch for ``model``, before any training."""
    batch, plain = first_batch(loader, where), unwrap(model)
    num_classes = getattr(plain, "num_classes", 1)
    split_batch(batch, where, num_classes)  # its structure first
    _check_images(batch[0], plain, where)  # the raw dtype, before split_batch's .float()
    images, mask = split_batch(batch, where, num_classes)
    _check_mask(mask, num_classes, where)
    if not isinstance(getattr(model, "_orig_mod", model), PadToFit):  # PadToFit takes any size
        _check_size(images.shape[-2:], plain, where)


def _check_images(images, model, where):
    if isinstance(images, torch.Tensor) and not images.is_floating_point():
        raise TypeError(
            tr(
                "{where} yields {dtype} images (values up to {top}): scale them to 0..1 first, "
                "e.g. images.float() / 255 for 8-bit images (the course's datasets do it).",
                where=where,
                dtype=images.dtype,
                top=images.max().item(),
            )
        )
    if isinstance(images, torch.Tensor) and not torch.isfinite(images).all():
        bad = (~torch.isfinite(images)).sum().item()
        raise ValueError(
            tr(
                "{where} yields images with {bad} NaN or infinite pixel(s) in the first batch: "
                "find them with torch.isfinite(images) and fix or drop those images.",
                where=where,
                bad=bad,
            )
        )
    in_channels = getattr(model, "in_channels", None)
    if isinstance(images, torch.Tensor) and images.dim() == 4 and in_channels not in (None, images.shape[1]):
        raise ValueError(
            tr(
                "{where} yields images with {got} channels, but the model takes in_channels={in_channels}: "
                "build UNet(in_channels={got}) or convert the images.",
                where=where,
                got=images.shape[1],
                in_channels=in_channels,
            )
        )


def _check_mask(mask, num_classes, where):
    if not torch.isfinite(mask.float()).all():
        raise ValueError(
            tr("{where} yields masks with NaN or infinite values: masks must hold class labels.", where=where)
        )
    values = mask.unique()
    if num_classes == 1 and not set(values.tolist()) <= {0.0, 1.0}:
        raise ValueError(_binary_mask_message(values, where))
    if num_classes > 1 and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            tr(
                "{where} yields class masks with values {values}, outside 0..{last} for num_classes={num_classes}: "
                "build UNet(num_classes={needed}) or relabel the masks.",
                where=where,
                values=_few(values),
                last=num_classes - 1,
                num_classes=num_classes,
                needed=int(values.max()) + 1,
            )
        )


def _binary_mask_message(values, where):
    """Masks that are not 0/1 for a one-class model: 0/255 masks, or soft ones to binarise."""
    if values.max() > 1:
        return tr(
            "{where} yields masks with values {values}, but a num_classes=1 model needs 0/1 masks: "
            "it looks like 0/255: use (mask > 0).float().",
            where=where,
            values=_few(values),
        )
    return tr(
        "{where} yields masks with values {values}, but a num_classes=1 model needs 0/1 masks: "
        "binarise it: (mask > 0.5).",
        where=where,
        values=_few(values),
    )


def _check_size(size, model, where):
    depth, padding = getattr(model, "depth", None), getattr(model, "padding", "same")
    if padding == "valid":
        raise ValueError(
            tr(
                "fit trains padding='same' models, whose logits are the size of the mask; this one uses "
                "padding='valid' (the paper's), whose output is smaller than its input. Build UNet(padding='same')."
            )
        )
    bad = [s for s in size if depth is not None and not fits(s, depth, padding)]
    if bad:
        raise ValueError(
            tr(
                "{where} yields {height}x{width} images, which a UNet of depth {depth} cannot take "
                "(sizes must divide by 2**{depth} = {factor}): wrap the model as PadToFit(model), "
                "or crop the images to a multiple of {factor}.",
                where=where,
                height=size[0],
                width=size[1],
                depth=depth,
                factor=2**depth,
            )
        )


def _few(values):
    shown = ", ".join(f"{v:g}" for v in values[:6].tolist())
    return f"{{{shown}{', ...' if len(values) > 6 else ''}}}"
