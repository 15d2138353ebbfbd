"""Dice, IoU, the BCE + Dice loss (binary) and the CE + Dice loss (multi-class).

Conventions, used everywhere in the course:

- Every score is computed **per image, then averaged over the batch**, so an image with only a
  few foreground pixels counts as much as one full of them.
- **Empty vs empty is a perfect score.** An image with no foreground, predicted with no
  foreground, has Dice = IoU = 1.0 (0/0 would be undefined). Hard scores define it explicitly;
  the soft ``dice`` gets it from ``smooth``: (0 + 1) / (0 + 0 + 1) = 1.
- An empty mask with any predicted foreground scores 0.0, and so does the reverse.
- Multi-class scores follow the same rules class by class: a class absent from both the
  prediction and the truth of an image scores 1.0 for that image.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .i18n import tr


def _per_image(x):
    """(B, ...) -> (B, N): one row of pixels per image."""
    if x.dim() < 2:
        raise ValueError(
            tr("expected a batch (B, ...) of at least 2 dimensions, got shape {shape}.", shape=tuple(x.shape))
        )
    return x.reshape(x.shape[0], -1).float()


def _check_same_shape(a, b, names=("probs", "mask")):
    if a.shape != b.shape:
        raise ValueError(
            tr(
                "{first} and {second} must have the same shape, got {first_shape} and {second_shape}.",
                first=names[0],
                second=names[1],
                first_shape=tuple(a.shape),
                second_shape=tuple(b.shape),
            )
        )


def dice(probs, mask, smooth=1.0):
    """Soft Dice: batch mean of per-image (2 * sum(p * m) + smooth) / (sum(p) + sum(m) + smooth)."""
    _check_same_shape(probs, mask)
    p, m = _per_image(probs), _per_image(mask)
    per_image = (2 * (p * m).sum(1) + smooth) / (p.sum(1) + m.sum(1) + smooth)
    return per_image.mean()


def binary_dice(pred, mask):
    """Hard Dice per image of two binary masks (B, ...) -> (B,); both empty = 1.0."""
    _check_same_shape(pred, mask, ("pred", "mask"))
    p, m = _per_image(pred > 0.5), _per_image(mask > 0.5)
    overlap, total = (p * m).sum(1), p.sum(1) + m.sum(1)
    return torch.where(total > 0, 2 * overlap / total.clamp(min=1), torch.ones_like(total))


def binary_iou(pred, mask):
    """Hard IoU (Jaccard) per image of two binary masks (B, ...) -> (B,); both empty = 1.0."""
    _check_same_shape(pred, mask, ("pred", "mask"))
    p, m = _per_image(pred > 0.5), _per_image(mask > 0.5)
    overlap = (p * m).sum(1)
    union = p.sum(1) + m.sum(1) - overlap
    return torch.where(union > 0, overlap / union.clamp(min=1), torch.ones_like(union))


def hard_dice(probs, mask, threshold=0.5):
    """Dice of (probs > threshold) against mask, per image then batch mean: the score the course reports."""
    return binary_dice(probs > threshold, mask).mean()


def hard_iou(probs, mask, threshold=0.5):
    """IoU of (probs > threshold) against mask, per image then batch mean."""
    return binary_iou(probs > threshold, mask).mean()


def _one_hot(labels, num_classes, name):
    if labels.is_floating_point():
        raise TypeError(
            tr(
                "{name} must hold class indices (integers), got {dtype}. Use logits.argmax(1).",
                name=name,
                dtype=labels.dtype,
            )
        )
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            tr(
                "{name} holds labels outside 0..{last}: min {low}, max {high}.",
                name=name,
                last=num_classes - 1,
                low=labels.min(),
                high=labels.max(),
            )
        )
    return F.one_hot(labels.long(), num_classes).movedim(-1, 1)  # (B, C, ...)


def _per_class(score, pred, target, num_classes):
    _check_same_shape(pred, target, ("pred", "target"))
    p, t = _one_hot(pred, num_classes, "pred"), _one_hot(target, num_classes, "target")
    scores = [score(p[:, c], t[:, c]) for c in range(num_classes)]  # each (B,)
    return torch.stack(scores, 1).mean(0)  # (C,)


def multiclass_dice(pred, target, num_classes):
    """Dice per class of label maps (B, H, W) -> (C,): per image, then batch mean. ``.mean()`` gives the mean Dice."""
    return _per_class(binary_dice, pred, target, num_classes)


def multiclass_iou(pred, target, num_classes):
    """IoU per class of label maps (B, H, W) -> (C,): per image, then batch mean. ``.mean()`` gives the mean IoU."""
    return _per_class(binary_iou, pred, target, num_classes)


def batch_dice(probs, mask, smooth=1.0):
    """Soft Dice with sums over the whole batch: (2 * sum(p * m) + smooth) / (sum(p) + sum(m) + smooth).

    ``None`` when the batch holds no foreground at all (the loss then leaves it to BCE / CE).
    """
    _check_same_shape(probs, mask)
    p, m = probs.float(), mask.float()
    if not m.any():
        return None
    return (2 * (p * m).sum() + smooth) / (p.sum() + m.sum() + smooth)


def _dice_term(probs, mask, smooth, kind):
    """1 - soft Dice, per ``kind``: "batch" (sums over the batch) or "image" (the per-image mean of ``dice``)."""
    if kind == "image":
        return 1 - dice(probs, mask, smooth)
    score = batch_dice(probs, mask, smooth)
    return probs.sum() * 0 if score is None else 1 - score  # keeps the graph when the Dice term is 0


def _check_dice_kind(kind):
    if kind not in ("batch", "image"):
        raise ValueError(
            tr('dice must be "batch" (sums over the batch) or "image" (per-image mean), got {kind!r}.', kind=kind)
        )


class BCEDiceLoss(nn.Module):
    """bce_weight * BCE-with-logits + dice_weight * (1 - soft Dice of sigmoid(logits)); takes logits.

    ``dice="batch"`` (the default) sums the Dice over the whole batch, so an empty image counts by
    its few false-positive pixels against the batch's foreground, not as an image of its own:
    with per-image Dice and smooth = 1 (``dice="image"``, the ``metrics.dice`` of the exercises), a
    64x64 empty image predicted p = 0.001 everywhere scores (0 + 1) / (4.1 + 1) = 0.20, as badly
    as a wrong one; in a batch of it and a 64x64 image with a 400-pixel cell predicted well
    (p = 0.999 on the cell, 0.001 elsewhere), per-image Dice is 0.60 and batch Dice 0.99.
    A batch with no foreground at all has no Dice term (only BCE): there a soft Dice can only
    punish the background's small probabilities (0.03 for 8 such images).
    """

    def __init__(self, bce_weight=1.0, dice_weight=1.0, smooth=1.0, dice="batch"):
        super().__init__()
        _check_dice_kind(dice)
        self.bce_weight, self.dice_weight, self.smooth, self.dice = bce_weight, dice_weight, smooth, dice

    def forward(self, logits, mask):
        _check_same_shape(logits, mask, ("logits", "mask"))
        bce = F.binary_cross_entropy_with_logits(logits, mask.float())
        soft = _dice_term(torch.sigmoid(logits), mask, self.smooth, self.dice)
        return self.bce_weight * bce + self.dice_weight * soft


class CEDiceLoss(nn.Module):
    """ce_weight * cross-entropy + dice_weight * (1 - soft Dice of softmax(logits)), averaged over classes.

    ``logits`` (B, C, H, W) and ``mask`` class indices (B, H, W) (or (B, 1, H, W)), integers
    0..C-1. Each class's Dice sums over the batch (``dice="batch"``) or is a per-image mean
    (``dice="image"``); a class absent from the whole batch has no Dice term, as in ``BCEDiceLoss``.
    """

    def __init__(self, ce_weight=1.0, dice_weight=1.0, smooth=1.0, dice="batch"):
        super().__init__()
        _check_dice_kind(dice)
        self.ce_weight, self.dice_weight, self.smooth, self.dice = ce_weight, dice_weight, smooth, dice

    def forward(self, logits, mask):
        if mask.dim() == logits.dim():
            mask = mask.squeeze(1)
        num_classes = logits.shape[1]
        target = _one_hot(mask, num_classes, "mask").float()  # (B, C, H, W)
        _check_same_shape(logits, target, ("logits", "one-hot mask"))
        ce = F.cross_entropy(logits, mask.long())
        probs = torch.softmax(logits, 1)
        terms = [self._class_term(probs[:, c], target[:, c]) for c in range(num_classes)]
        terms = [term for term in terms if term is not None]
        soft = torch.stack(terms).mean() if terms else probs.sum() * 0
        return self.ce_weight * ce + self.dice_weight * soft

    def _class_term(self, probs, mask):
        if self.dice == "batch" and not mask.any():
            return None
        return _dice_term(probs, mask, self.smooth, self.dice)
