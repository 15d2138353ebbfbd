"""Dice, IoU and the BCE + Dice loss against cases worked out by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from unet_course.metrics import (
    BCEDiceLoss,
    batch_dice,
    binary_dice,
    binary_iou,
    dice,
    hard_dice,
    hard_iou,
    multiclass_dice,
    multiclass_iou,
)


def t(*rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_soft_dice_by_hand():
    # sum(p*m) = 1.5, sum(p) = 1.5, sum(m) = 2: (3 + 1) / (3.5 + 1)
    assert dice(t([1, 0.5, 0, 0]), t([1, 1, 0, 0])).item() == pytest.approx(4 / 4.5)
    assert dice(t([1, 0.5, 0, 0]), t([1, 1, 0, 0]), smooth=0).item() == pytest.approx(3 / 3.5)


def test_soft_dice_is_the_batch_mean_of_per_image_scores():
    probs, mask = t([1, 0.5, 0, 0], [0, 0, 0, 0]), t([1, 1, 0, 0], [0, 0, 0, 0])
    assert dice(probs, mask).item() == pytest.approx((4 / 4.5 + 1.0) / 2)  # empty vs empty = 1 via smooth


def test_soft_dice_takes_image_batches():
    probs = torch.zeros(2, 1, 4, 4)
    probs[0, 0, :2] = 1  # 8 pixels
    mask = probs.clone()
    assert dice(probs, mask).item() == pytest.approx(((16 + 1) / (16 + 1) + 1) / 2)


def test_hard_dice_and_iou_by_hand():
    pred, mask = t([1, 1, 0, 0]), t([1, 0, 1, 0])
    assert binary_dice(pred, mask).tolist() == pytest.approx([2 * 1 / 4])
    assert binary_iou(pred, mask).tolist() == pytest.approx([1 / 3])


def test_empty_masks_are_handled_deliberately():
    empty, full = t([0, 0, 0]), t([0, 1, 0])
    assert binary_dice(empty, empty).item() == 1.0
    assert binary_iou(empty, empty).item() == 1.0
    assert binary_dice(full, empty).item() == 0.0
    assert binary_dice(empty, full).item() == 0.0
    assert binary_iou(empty, full).item() == 0.0


def test_hard_dice_thresholds_probabilities():
    probs, mask = t([0.9, 0.6, 0.4, 0.1]), t([1, 1, 1, 0])
    assert hard_dice(probs, mask).item() == pytest.approx(2 * 2 / (2 + 3))
    assert hard_dice(probs, mask, threshold=0.3).item() == pytest.approx(1.0)
    assert hard_iou(probs, mask).item() == pytest.approx(2 / 3)


def test_multiclass_scores_per_class_by_hand():
    pred = torch.tensor([[[0, 1], [1, 2]]])
    target = torch.tensor([[[0, 1], [2, 2]]])
    assert multiclass_dice(pred, target, 3).tolist() == pytest.approx([1.0, 2 / 3, 2 / 3])
    assert multiclass_iou(pred, target, 3).tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert multiclass_dice(pred, target, 4)[3].item() == 1.0  # absent from both: perfect
    assert multiclass_dice(pred, target, 3).mean().item() == pytest.approx((1 + 4 / 3) / 3)


def test_multiclass_refuses_probabilities_and_bad_labels():
    with pytest.raises(TypeError, match="argmax"):
        multiclass_dice(torch.rand(1, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="outside 0..1"):
        multiclass_dice(torch.full((1, 2, 2), 2), torch.zeros(1, 2, 2, dtype=torch.long), 2)


def test_bce_dice_loss_by_hand():
    logits, mask = torch.zeros(1, 2), t([1, 0])
    # BCE of p = 0.5 is ln 2 either way; soft Dice = (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3
    assert BCEDiceLoss()(logits, mask).item() == pytest.approx(math.log(2) + 1 / 3)
    assert BCEDiceLoss(bce_weight=0)(logits, mask).item() == pytest.approx(1 / 3)


def test_bce_dice_loss_falls_as_logits_agree_with_the_mask():
    mask = t([1, 0, 1, 0])
    losses = [BCEDiceLoss()((2 * mask - 1) * scale, mask).item() for scale in (0, 1, 5)]
    assert losses[0] > losses[1] > losses[2]


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(1, 4\) and \(1, 3\)"):
        dice(torch.zeros(1, 4), torch.zeros(1, 3))


def empty_and_cell():
    """A 64x64 empty image predicted p = 0.001, and one with a 400-pixel cell predicted well."""
    mask = torch.zeros(2, 1, 64, 64)
    mask[1, 0, :20, :20] = 1
    return torch.where(mask > 0, 0.999, 0.001), mask


def test_batch_dice_does_not_punish_a_correct_empty_image():
    probs, mask = empty_and_cell()
    assert dice(probs[:1], mask[:1]).item() == pytest.approx(1 / (0.001 * 4096 + 1), rel=1e-4)  # 0.196: punished
    assert dice(probs, mask).item() == pytest.approx(0.5956, abs=1e-3)  # per image, then the mean
    overlap, total = 0.999 * 400, 0.999 * 400 + 0.001 * (2 * 4096 - 400) + 400
    assert batch_dice(probs, mask).item() == pytest.approx((2 * overlap + 1) / (total + 1), rel=1e-5)  # 0.990
    assert batch_dice(probs[:1], mask[:1]) is None  # no foreground in the batch: no Dice score


def test_bce_dice_loss_batch_is_the_default_and_image_keeps_the_old_one():
    probs, mask = empty_and_cell()
    logits = torch.logit(probs)
    bce = F.binary_cross_entropy_with_logits(logits, mask).item()
    assert BCEDiceLoss()(logits, mask).item() == pytest.approx(bce + 1 - batch_dice(probs, mask).item(), rel=1e-5)
    assert BCEDiceLoss(dice="image")(logits, mask).item() == pytest.approx(bce + 1 - dice(probs, mask).item(), rel=1e-5)
    empty = torch.zeros(8, 1, 8, 8)
    low = torch.full_like(empty, -6.9, requires_grad=True)
    loss = BCEDiceLoss()(low, empty)  # an all-empty batch: BCE only, and the gradient still flows
    assert loss.item() == pytest.approx(F.binary_cross_entropy_with_logits(low, empty).item())
    loss.backward()
    assert low.grad is not None and (low.grad > 0).all()
    with pytest.raises(ValueError, match='dice must be "batch" .* or "image"'):
        BCEDiceLoss(dice="pixel")
