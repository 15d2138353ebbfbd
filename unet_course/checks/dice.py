"""Checker for the student's ``dice(probs, mask, smooth=1.0)``: the batch mean of per-image soft Dice."""

import math

import torch

from ..i18n import tr
from ._core import CheckFailed, call, seeded, time_limited

SIGNATURE = "dice(probs, mask, smooth=1.0)"
FORMULA = "(2 * sum(probs * mask) + smooth) / (sum(probs) + sum(mask) + smooth)"


def reference_dice(probs, mask, smooth=1.0):
    """Per image (sums over channels, height, width), then the mean over the batch."""
    dims = tuple(range(1, probs.dim()))
    intersection = (probs * mask).sum(dims)
    return ((2 * intersection + smooth) / (probs.sum(dims) + mask.sum(dims) + smooth)).mean()


def _per_channel_dice(probs, mask, smooth=1.0):
    dims = tuple(range(2, probs.dim()))
    intersection = (probs * mask).sum(dims)
    return ((2 * intersection + smooth) / (probs.sum(dims) + mask.sum(dims) + smooth)).mean()


def _global_dice(probs, mask, smooth=1.0):
    return (2 * (probs * mask).sum() + smooth) / (probs.sum() + mask.sum() + smooth)


def _value(result, what):
    """The student's result as a float, after checking it is one number in a tensor."""
    if not isinstance(result, torch.Tensor):
        raise CheckFailed(
            tr(
                "{what} returned a {type}, not a tensor: keep it a torch tensor (no .item(), no numpy), so that "
                "1 - dice can be a loss that trains.",
                what=what,
                type=type(result).__name__,
            )
        )
    if result.numel() != 1:
        raise CheckFailed(
            tr(
                "{what} returned shape {shape}: one value per image. Return one number, the mean over the batch: "
                "... .mean().",
                what=what,
                shape=tuple(result.shape),
            )
        )
    return result.item()


def _empty_masks(fn):
    probs, mask = torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, 8, 8)
    result = call(tr("dice(probs, mask) on empty masks"), fn, probs, mask)
    value = _value(result, tr("dice on empty masks"))
    if math.isnan(value):
        raise CheckFailed(
            tr(
                "Dice without smoothing: for an empty mask and an empty prediction it computes 0 / 0 = nan. "
                "Add smooth to the numerator and the denominator: {formula}.",
                formula=FORMULA,
            )
        )
    if math.isinf(value):
        raise CheckFailed(
            tr(
                "Dice gives inf for an empty mask and an empty prediction: smooth is in the numerator only. "
                "Add it to the denominator as well: {formula}.",
                formula=FORMULA,
            )
        )
    if abs(value - 1) > 1e-5:
        missing = tr(" (is smooth missing from the numerator?)") if abs(value) < 1e-6 else ""
        raise CheckFailed(
            tr(
                "Wrong on empty masks: an empty prediction of an empty mask is perfect and must score 1, "
                "but dice gives {value:.4g}{missing}. Use {formula}.",
                value=value,
                missing=missing,
                formula=FORMULA,
            )
        )


def _diagnose(value, probs, mask):
    """Name the mistake whose result ``value`` is, if it is a known one (in English: each is a word of the catalog)."""
    batch = probs.shape[0]
    known = [
        (1 - reference_dice(probs, mask), "returns the Dice loss, 1 - Dice: return the Dice score itself"),
        (reference_dice(probs, mask) * batch, "sums the per-image scores over the batch: average them with .mean()"),
        (
            _global_dice(probs, mask),
            "computes one Dice for the whole batch: compute one score per image (sum over dims 1, 2, 3, "
            "keeping the batch), then average them with .mean()",
        ),
        (
            _per_channel_dice(probs, mask),
            "computes one Dice per channel and averages those: sum over each image's channels too "
            "(dims 1, 2, 3), so that one image gets one score",
        ),
        (
            reference_dice((probs > 0.5).float(), mask),
            "thresholds the probabilities: soft Dice uses them as they are, so that it has a gradient",
        ),
        (
            reference_dice(probs, mask, 0.0),
            "ignores smooth: add it to the numerator and the denominator",
        ),
        (
            (((probs * mask).sum((1, 2, 3)) + 1) / (probs.sum((1, 2, 3)) + mask.sum((1, 2, 3)) + 1)).mean(),
            "forgets the factor 2 in the numerator",
        ),
    ]
    for expected, mistake in known:
        if expected.numel() == 1 and abs(value - expected.item()) < 1e-5:
            return mistake
    return None


@time_limited
def check_dice(fn):
    """Check the student's ``dice(probs, mask, smooth=1.0)``: batch mean of per-image soft Dice."""
    __tracebackhide__ = True
    if not callable(fn):
        raise CheckFailed(
            tr("check_dice takes your function itself, check_dice(dice), not a {type}.", type=type(fn).__name__)
        )
    with seeded():
        probs = torch.rand(3, 2, 8, 8)  # two channels: per-channel and per-image Dice differ
        mask = (torch.rand(3, 2, 8, 8) > 0.6).float()
        mask[2] = 0  # one image with nothing to find: per image and whole-batch Dice differ
        mask[1, 1] = 0  # one empty channel in a full image
        value = _value(call(tr("{signature} on a batch of 3", signature=SIGNATURE), fn, probs, mask), "dice")
        expected = reference_dice(probs, mask).item()
        if abs(value - expected) > 1e-5:
            mistake = _diagnose(value, probs, mask)
            if mistake is None or "smooth" in mistake:  # no smoothing at all shows best on empty masks
                _empty_masks(fn)
            if mistake:
                raise CheckFailed(
                    tr(
                        "Your dice {mistake}. Dice is the batch mean of {formula}, per image.",
                        mistake=mistake,
                        formula=FORMULA,
                    )
                )
            raise CheckFailed(
                tr(
                    "dice gives {value:.4f} on a test batch where {formula}, averaged over the images, gives "
                    "{expected:.4f}. Sum over each image's channels, height and width, then take the mean.",
                    value=value,
                    formula=FORMULA,
                    expected=expected,
                )
            )
        _empty_masks(fn)
        _other_smooth(fn, probs, mask)
        _gradient(fn, probs, mask)
    return tr(
        "dice OK: per-image soft Dice averaged over the batch, 1 for empty vs empty, smooth used, differentiable."
    )


def _other_smooth(fn, probs, mask):
    value = _value(call("dice(probs, mask, smooth=0.5)", fn, probs, mask, smooth=0.5), tr("dice with smooth=0.5"))
    if abs(value - reference_dice(probs, mask, 0.5).item()) > 1e-5:
        raise CheckFailed(
            tr(
                "dice ignores its smooth argument: dice(probs, mask, smooth=0.5) gives the same as smooth=1. "
                "Use the argument in {formula}.",
                formula=FORMULA,
            )
        )


def _gradient(fn, probs, mask):
    probs = probs.clone().requires_grad_()
    result = call(tr("dice(probs, mask) with probs that require grad"), fn, probs, mask)
    if not result.requires_grad:
        raise CheckFailed(
            tr(
                "dice's result has no gradient: it must be computed with torch operations on probs (no "
                ".detach(), no thresholding, no numpy), so that 1 - dice can train the model."
            )
        )
    (mine,) = torch.autograd.grad(result, probs)
    reference = probs.detach().clone().requires_grad_()
    (expected,) = torch.autograd.grad(reference_dice(reference, mask), reference)
    if not torch.allclose(mine, expected, rtol=1e-4, atol=1e-6):
        raise CheckFailed(
            tr(
                "dice's value is right but its gradient is not: part of the formula uses a detached copy of probs "
                "(`probs.detach()`, `probs.data`, `.item()` in a sum), so training follows only the rest. Use "
                "probs itself everywhere in {formula}.",
                formula=FORMULA,
            )
        )
