"""The two phases of an epoch that notebook 07 shows: ``train_one_epoch`` and ``evaluate``.

The loss and the scores follow ``model.num_classes``: 1 -> BCE + Dice on sigmoid, a 0/1 mask
(B, 1, H, W); more -> cross-entropy + Dice on softmax, a class mask (B, H, W).
"""

from contextlib import nullcontext

import torch

from ..metrics import BCEDiceLoss, CEDiceLoss, hard_dice, multiclass_dice
from .checkpoint import unwrap
from .checks import split_batch
from .device import amp_dtype, as_device, use_channels_last


def num_classes_of(model):
    return getattr(unwrap(model), "num_classes", 1)


def default_loss(model):
    """BCEDiceLoss for one class, CEDiceLoss for more (both with batch Dice)."""
    return BCEDiceLoss() if num_classes_of(model) == 1 else CEDiceLoss()


def _autocast(device, dtype):
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()


def _to(tensor, device, channels_last=False):
    tensor = tensor.to(device, non_blocking=True)
    return tensor.contiguous(memory_format=torch.channels_last) if channels_last else tensor


def _step(loss, optimizer, scaler, scheduler):
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:  # fp16: scale the loss so that small gradients do not flush to zero
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    if scheduler is not None:
        scheduler.step()


def run_epoch(
    model, loader, optimizer, loss_fn, device, *, scheduler=None, scaler=None, dtype=None, channels_last=False, bar=None
):
    """``train_one_epoch``, returning (mean loss per image, number of images); the loss stays on the device."""
    model.train()
    num_classes = num_classes_of(model)
    total, count = torch.zeros((), device=device), 0
    for batch in loader:
        images, mask = split_batch(batch, "the training loader", num_classes)
        images, mask = _to(images, device, channels_last), mask.to(device, non_blocking=True)
        with _autocast(device, dtype):
            logits = model(images)
        loss = loss_fn(logits.float(), mask)
        _step(loss, optimizer, scaler, scheduler)
        total += loss.detach() * len(images)
        count += len(images)
        if bar is not None:
            bar.update(1)
    if count == 0:
        raise ValueError("The training loader is empty: give it at least one batch.")
    return total.item() / count, count


def train_one_epoch(
    model, loader, optimizer, loss_fn, device, *, scheduler=None, scaler=None, dtype=None, channels_last=False, bar=None
):
    """One pass over ``loader``: forward, loss, backward, optimizer step (and scheduler step) per batch.

    Returns the mean training loss per image. ``dtype`` is the autocast dtype (None: fp32).
    """
    return run_epoch(
        model,
        loader,
        optimizer,
        loss_fn,
        device,
        scheduler=scheduler,
        scaler=scaler,
        dtype=dtype,
        channels_last=channels_last,
        bar=bar,
    )[0]


def _scores(logits, mask, threshold, num_classes):
    """(batch-mean Dice, per-class batch-mean Dice or None) of one batch's logits."""
    if num_classes == 1:
        return hard_dice(torch.sigmoid(logits), mask, threshold), None
    per_class = multiclass_dice(logits.argmax(1), mask, num_classes)  # (C,)
    return per_class[1:].mean(), per_class


def evaluate(model, loader, device=None, loss_fn=None, threshold=0.5, amp=True, channels_last=True):
    """Mean loss and mean per-image hard Dice of ``model`` on ``loader`` (validation, or once, the test set).

    Returns {"loss", "dice", "num_images"}, plus "class_dice" (one Dice per class, background
    first) for num_classes > 1, where "dice" is the mean over the foreground classes 1..C-1.
    Binary: Dice of sigmoid(logits) > threshold; multi-class: of argmax over the classes.
    """
    device = as_device(device)
    dtype, channels_last = amp_dtype(device, amp), use_channels_last(device, channels_last)
    return evaluate_with(model, loader, device, loss_fn, threshold, dtype=dtype, channels_last=channels_last)


@torch.no_grad()
def evaluate_with(model, loader, device, loss_fn=None, threshold=0.5, *, dtype=None, channels_last=False):
    """``evaluate`` in the autocast ``dtype`` and memory layout already chosen (by ``fit``)."""
    loss_fn = loss_fn or default_loss(model)
    num_classes, was_training = num_classes_of(model), model.training
    model.eval()
    total_loss, total_dice, total_class, count = 0.0, 0.0, 0.0, 0
    try:
        for batch in loader:
            images, mask = split_batch(batch, "the evaluation loader", num_classes)
            images, mask = _to(images, device, channels_last), mask.to(device)
            with _autocast(device, dtype):
                logits = model(images).float()
            dice, per_class = _scores(logits, mask, threshold, num_classes)
            total_loss += loss_fn(logits, mask).item() * len(images)
            total_dice += dice.item() * len(images)
            total_class = total_class + (per_class.cpu() * len(images) if per_class is not None else 0)
            count += len(images)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("The evaluation loader is empty: give it at least one batch.")
    metrics = {"loss": total_loss / count, "dice": total_dice / count, "num_images": count}
    if num_classes > 1:
        metrics["class_dice"] = (total_class / count).tolist()
    return metrics
