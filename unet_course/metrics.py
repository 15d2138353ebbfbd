"""Dice, IoU and the BCE + Dice loss.

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


def _per_image(x):
    """(B, ...) -> (B, N): one row of pixels per image."""
    if x.dim() < 2:
        raise ValueError(f"expected a batch (B, ...) of at least 2 dimensions, got shape {tuple(x.shape)}.")
    return x.reshape(x.shape[0], -1).float()


def _check_same_shape(a, b, names=("probs", "mask")):
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}."
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
        raise TypeError(f"{name} must hold class indices (integers), got {labels.dtype}. Use logits.argmax(1).")
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} holds labels outside 0..{num_classes - 1}: min {labels.min()}, max {labels.max()}.")
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


class BCEDiceLoss(nn.Module):
    """bce_weight * BCE-with-logits + dice_weight * (1 - soft Dice of sigmoid(logits)); takes logits."""

    def __init__(self, bce_weight=1.0, dice_weight=1.0, smooth=1.0):
        super().__init__()
        self.bce_weight, self.dice_weight, self.smooth = bce_weight, dice_weight, smooth

    def forward(self, logits, mask):
        _check_same_shape(logits, mask, ("logits", "mask"))
        bce = F.binary_cross_entropy_with_logits(logits, mask.float())
        soft = dice(torch.sigmoid(logits), mask, self.smooth)
        return self.bce_weight * bce + self.dice_weight * (1 - soft)
