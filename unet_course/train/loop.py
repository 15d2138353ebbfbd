"""The training loop: ``fit`` (train, validate, checkpoint, resume, Ctrl-C) and ``evaluate``."""

import time
from contextlib import nullcontext
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..metrics import BCEDiceLoss, hard_dice
from .checkpoint import load_checkpoint, read_checkpoint, save_checkpoint, unwrap
from .device import amp_dtype, as_device, sync, use_channels_last
from .history import History


def unpack(batch, where):
    """(images, mask) from a loader's item, with an error that says what was expected."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        kind = f"a {type(batch).__name__}" + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        raise ValueError(f"{where} must yield (images, mask) pairs; it yielded {kind}.")
    images, mask = batch
    if not (isinstance(images, torch.Tensor) and isinstance(mask, torch.Tensor)):
        raise TypeError(f"{where} must yield tensors; got ({type(images).__name__}, {type(mask).__name__}).")
    if images.dim() != 4 or mask.dim() != 4:
        raise ValueError(
            f"{where} must yield images (B, C, H, W) and mask (B, 1, H, W); got shapes "
            f"{tuple(images.shape)} and {tuple(mask.shape)}. Does the dataset return (1, H, W) items?"
        )
    if images.shape[0] != mask.shape[0] or images.shape[-2:] != mask.shape[-2:]:
        raise ValueError(
            f"{where}: images {tuple(images.shape)} and mask {tuple(mask.shape)} differ in batch size or H, W."
        )
    return images.float(), mask.float()


def _autocast(device, dtype):
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()


def _to(tensor, device, channels_last):
    tensor = tensor.to(device, non_blocking=True)
    return tensor.contiguous(memory_format=torch.channels_last) if channels_last else tensor


@torch.no_grad()
def evaluate(model, loader, device=None, loss_fn=None, threshold=0.5, amp=True, channels_last=True):
    """Mean loss and mean per-image hard Dice (probabilities thresholded) of ``model`` on ``loader``."""
    device = as_device(device)
    loss_fn = loss_fn or BCEDiceLoss()
    dtype, channels_last = amp_dtype(device, amp), use_channels_last(device, channels_last)
    was_training = model.training
    model.eval()
    total_loss, total_dice, count = 0.0, 0.0, 0
    for batch in loader:
        images, mask = unpack(batch, "the validation loader")
        images, mask = _to(images, device, channels_last), mask.to(device)
        with _autocast(device, dtype):
            logits = model(images)
        logits = logits.float()
        total_loss += loss_fn(logits, mask).item() * len(images)
        total_dice += hard_dice(torch.sigmoid(logits), mask, threshold).item() * len(images)
        count += len(images)
    model.train(was_training)
    if count == 0:
        raise ValueError("The validation loader is empty: give it at least one batch.")
    return {"loss": total_loss / count, "dice": total_dice / count, "num_images": count}


def _check_arguments(num_epochs, lr, target_dice):
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a whole number >= 1, got {num_epochs!r}.")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r} (1e-3 is a good start for Adam).")
    if target_dice is not None and not 0 < target_dice <= 1:
        raise ValueError(f"target_dice must be in (0, 1], got {target_dice!r}.")


def fit(
    model,
    train_loader,
    val_loader,
    num_epochs,
    lr=1e-3,
    device=None,
    *,
    loss_fn=None,
    optimizer=None,
    checkpoint_dir=None,
    resume=False,
    target_dice=None,
    amp=True,
    channels_last=True,
    compile=False,
    progress=True,
    on_epoch_end=None,
    restore_best=True,
    config=None,
):
    """Train ``model`` for ``num_epochs`` epochs (in all, counting a resumed run's), validating each one.

    On a GPU: mixed precision (bf16 where supported, else fp16 with gradient scaling) and
    channels_last memory; ``compile=True`` adds ``torch.compile`` (or pass its keywords as a dict,
    e.g. ``compile={"mode": "max-autotune"}``). With ``checkpoint_dir``,
    ``best.pt`` and ``last.pt`` are written atomically after each epoch; ``resume=True``
    continues from ``last.pt`` (or pass a path). ``target_dice`` stops once validation Dice
    reaches it. Ctrl-C stops cleanly. At the end the model holds its best epoch's weights
    (``restore_best``). ``on_epoch_end(history)`` is called after each epoch. Returns the ``History``.
    """
    _check_arguments(num_epochs, lr, target_dice)
    device = as_device(device)
    model.to(device)
    dtype, channels_last = amp_dtype(device, amp), use_channels_last(device, channels_last)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    loss_fn = loss_fn or BCEDiceLoss()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None  # fp16 needs loss scaling
    config = {**(config or {}), "lr": lr, "num_epochs": num_epochs, "amp": str(dtype), "device": device.type}
    history = History()
    if resume:
        path = Path(checkpoint_dir or ".") / "last.pt" if resume is True else Path(resume)
        state = load_checkpoint(path, model, optimizer, scaler, map_location=device)
        history = History.from_dict(state["history"])
        history.stopped = ""
        todo = f"training to epoch {num_epochs}" if state["epoch"] < num_epochs else "nothing left to do"
        print(f"Resuming from {path.name}: {state['epoch']} epochs done, {todo}.")
        best_state = _best_state(model, history, path.parent / "best.pt")
    else:
        best_state = None
    step_model = torch.compile(model, **(compile if isinstance(compile, dict) else {})) if compile else model
    start = time.perf_counter() - (history.elapsed or [0.0])[-1]
    first_epoch = len(history) + 1
    bar = tqdm(total=_total_batches(train_loader, num_epochs - first_epoch + 1), disable=not progress, unit="batch")
    try:
        for epoch in range(first_epoch, num_epochs + 1):
            bar.set_description(f"epoch {epoch}/{num_epochs}")
            sync(device)
            epoch_start = time.perf_counter()
            train_loss, num_images = _train_one_epoch(
                step_model, train_loader, optimizer, loss_fn, device, dtype, scaler, channels_last, bar
            )
            sync(device)
            train_seconds = time.perf_counter() - epoch_start
            metrics = evaluate(step_model, val_loader, device, loss_fn, amp=amp, channels_last=channels_last)
            history.append(
                epoch=epoch,
                train_loss=train_loss,
                val_loss=metrics["loss"],
                val_dice=metrics["dice"],
                train_seconds=train_seconds,
                num_images=num_images,
                elapsed=time.perf_counter() - start,
            )
            bar.set_postfix(loss=f"{train_loss:.3f}", val_dice=f"{metrics['dice']:.3f}")
            if history.best_epoch == epoch:
                best_state = {k: v.detach().clone() for k, v in unwrap(model).state_dict().items()}
            if checkpoint_dir is not None:
                _save(checkpoint_dir, model, optimizer, epoch, history, config, scaler)
            if on_epoch_end is not None:
                on_epoch_end(history)
            if target_dice is not None and metrics["dice"] >= target_dice:
                history.stopped = "target"
                break
    except KeyboardInterrupt:
        history.stopped = "interrupted"
        kept = (
            f"keeping the best weights (epoch {history.best_epoch}, validation Dice {history.best_val_dice:.3f})"
            if best_state is not None
            else "no epoch had finished, so the model keeps its partly trained weights"
        )
        print(f"Training stopped by Ctrl-C after {len(history)} epochs: {kept} and the history.")
    finally:
        bar.close()
    if restore_best and best_state is not None:
        unwrap(model).load_state_dict(best_state)
    return history


def _train_one_epoch(model, loader, optimizer, loss_fn, device, dtype, scaler, channels_last, bar):
    model.train()
    total, count = torch.zeros((), device=device), 0
    for batch in loader:
        images, mask = unpack(batch, "the training loader")
        images, mask = _to(images, device, channels_last), mask.to(device, non_blocking=True)
        with _autocast(device, dtype):
            logits = model(images)
        loss = loss_fn(logits.float(), mask)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        total += loss.detach() * len(images)
        count += len(images)
        bar.update(1)
    if count == 0:
        raise ValueError("The training loader is empty: give it at least one batch.")
    return total.item() / count, count


def _best_state(model, history, best_path):
    """On resume: the best weights so far, from ``best.pt`` beside ``last.pt`` (else the loaded ones)."""
    if history.best_epoch is None:
        return None
    if best_path.is_file():
        return read_checkpoint(best_path, map_location=next(model.parameters()).device)["model"]
    return {k: v.detach().clone() for k, v in unwrap(model).state_dict().items()}


def _total_batches(loader, num_epochs):
    try:
        return len(loader) * num_epochs
    except TypeError:  # an iterable without a length: the bar counts without a total
        return None


def _save(checkpoint_dir, model, optimizer, epoch, history, config, scaler):
    folder = Path(checkpoint_dir)
    save_checkpoint(folder / "last.pt", model, optimizer, epoch, history, config, scaler)
    if history.best_epoch == epoch:
        save_checkpoint(folder / "best.pt", model, optimizer, epoch, history, config, scaler)
