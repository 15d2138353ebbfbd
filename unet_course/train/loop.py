"""``fit``: the phases of ``epoch`` (train, validate) in a loop, with checkpoints, resume and Ctrl-C.

Optimizer AdamW; learning rate warmed up linearly, then decayed along a cosine to zero by the
last epoch (``schedule.warmup_cosine``), stepped once a batch.
"""

import math
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..i18n import tr
from .checkpoint import copy_checkpoint, load_checkpoint, read_checkpoint, save_checkpoint, unwrap
from .checks import check_arguments, check_loader
from .device import amp_dtype, as_device, describe_precision, enable_cudnn_benchmark, sync, use_channels_last
from .epoch import default_loss, evaluate_with, run_epoch
from .history import History
from .rng import restore_rng_state, rng_state
from .schedule import set_base_lr, stretch, warmup_cosine


class TrainingDiverged(FloatingPointError):
    """The training loss stopped being a number; ``history`` holds the epochs that finished."""

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


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
    schedule="warmup_cosine",
    warmup=0.02,
    weight_decay=0.01,
):
    """Train ``model`` for ``num_epochs`` epochs (in all, counting a resumed run's), validating each one.

    Each epoch: ``train_one_epoch`` (AdamW, ``lr`` warmed up over ``warmup`` of the steps, at
    most one epoch, then cosine-decayed, a given ``optimizer`` too; ``schedule=None`` keeps
    ``lr`` constant), ``evaluate`` on ``val_loader``, then ``save_checkpoints``. The loss follows ``model.num_classes``
    (BCE + Dice for 1, CE + Dice for more). Both loaders' first batches are checked first.
    On a GPU: mixed precision and channels_last; ``compile=True`` adds ``torch.compile`` (or
    pass its keywords, e.g. ``compile={"mode": "max-autotune"}``). With ``checkpoint_dir``,
    ``last.pt`` and ``best.pt`` are written atomically; ``resume=True`` continues from ``last.pt``
    (or pass a path) exactly: weights, optimizer, schedule and random states (data order). A new
    ``lr`` on resume is applied, and said. ``target_dice`` stops once validation Dice reaches it;
    Ctrl-C stops cleanly; a non-finite loss raises ``TrainingDiverged``. At the end the model
    holds its best epoch's weights (``restore_best``), chosen on validation: score the held-out
    test set once with ``evaluate``. ``on_epoch_end(history)`` runs after each epoch.
    """
    check_arguments(num_epochs, lr, target_dice, checkpoint_dir)
    check_loader(train_loader, model, "the training loader")
    check_loader(val_loader, model, "the validation loader")
    device = as_device(device)
    model.to(device)
    if progress:  # one line: what this run uses (device, precision, memory layout, TF32)
        print(describe_precision(device, amp, channels_last))
    dtype, channels_last = amp_dtype(device, amp), use_channels_last(device, channels_last)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    loss_fn = loss_fn or default_loss(model)
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = _length(train_loader)
    scheduler = warmup_cosine(optimizer, steps, num_epochs, warmup) if schedule and steps else None
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None  # fp16 needs loss scaling
    config = {**(config or {}), "lr": lr, "num_epochs": num_epochs, "amp": str(dtype), "device": device.type}
    parts = {"optimizer": optimizer, "scaler": scaler, "scheduler": scheduler}
    history, best_state = History(), None
    if resume:
        history, best_state = resume_from(resume, checkpoint_dir, model, parts, train_loader, lr, num_epochs, device)
    step_model = torch.compile(model, **(compile if isinstance(compile, dict) else {})) if compile else model
    start = time.perf_counter() - (history.elapsed or [0.0])[-1]
    first_epoch = len(history) + 1
    bar = tqdm(total=steps and steps * (num_epochs - first_epoch + 1), disable=not progress, unit="batch")
    benchmark_before = enable_cudnn_benchmark(device)  # fixed-size batches: cuDNN may pick its fastest kernels
    try:
        for epoch in range(first_epoch, num_epochs + 1):
            bar.set_description(f"epoch {epoch}/{num_epochs}")
            sync(device)
            epoch_start = time.perf_counter()
            train_loss, num_images = run_epoch(
                step_model,
                train_loader,
                optimizer,
                loss_fn,
                device,
                scheduler=scheduler,
                scaler=scaler,
                dtype=dtype,
                channels_last=channels_last,
                bar=bar,
            )
            sync(device)
            train_seconds = time.perf_counter() - epoch_start
            metrics = evaluate_with(step_model, val_loader, device, loss_fn, dtype=dtype, channels_last=channels_last)
            if not (math.isfinite(train_loss) and math.isfinite(metrics["loss"])):
                _restore(model, best_state, restore_best)
                kept = restore_best and best_state is not None
                message = _diverged(epoch, (train_loss, metrics["loss"]), history, kept, checkpoint_dir, lr)
                raise TrainingDiverged(message, history)
            history.append(
                epoch=epoch,
                train_loss=train_loss,
                val_loss=metrics["loss"],
                val_dice=metrics["dice"],
                train_seconds=train_seconds,
                num_images=num_images,
                elapsed=time.perf_counter() - start,
                lr=optimizer.param_groups[0]["lr"],
                val_class_dice=metrics.get("class_dice"),
            )
            bar.set_postfix(loss=f"{train_loss:.3f}", val_dice=f"{metrics['dice']:.3f}")
            if history.best_epoch == epoch:
                best_state = _copy(model)
            if checkpoint_dir is not None:
                save_checkpoints(checkpoint_dir, model, epoch, history, config, rng=rng_state(train_loader), **parts)
            if on_epoch_end is not None:
                on_epoch_end(history)
            if target_dice is not None and metrics["dice"] >= target_dice:
                history.stopped = "target"
                break
    except KeyboardInterrupt:
        history.stopped = "interrupted"
        print(
            tr(
                "Training stopped by Ctrl-C after {epochs} epochs: {kept}.",
                epochs=len(history),
                kept=_kept(history, best_state),
            )
        )
    finally:
        bar.close()
        torch.backends.cudnn.benchmark = benchmark_before
    _restore(model, best_state, restore_best)
    return history


def save_checkpoints(
    checkpoint_dir, model, epoch, history, config, *, optimizer=None, scaler=None, scheduler=None, rng=None
):
    """The checkpoint step: ``last.pt`` every epoch, then ``best.pt`` when this epoch is the best so far.

    Each file is written atomically. An interrupt between the two writes leaves ``last.pt``
    holding the best epoch while ``best.pt`` lags behind; ``resume_from`` sees it and copies
    ``last.pt`` over ``best.pt``, so the best epoch named is always the one ``best.pt`` holds.
    """
    folder = Path(checkpoint_dir)
    parts = {"optimizer": optimizer, "scaler": scaler, "scheduler": scheduler, "rng": rng}
    save_checkpoint(folder / "last.pt", model, epoch=epoch, history=history, config=config, **parts)
    if history.best_epoch == epoch:
        save_checkpoint(folder / "best.pt", model, epoch=epoch, history=history, config=config, **parts)


def resume_from(resume, checkpoint_dir, model, parts, train_loader, lr, num_epochs, device):
    """Load ``last.pt`` (or the path ``resume``) into the model and ``parts``; return (history, best weights)."""
    path = Path(checkpoint_dir or ".") / "last.pt" if resume is True else Path(resume)
    state = load_checkpoint(path, model, parts["optimizer"], parts["scaler"], device, scheduler=parts["scheduler"])
    history = History.from_dict(state["history"])
    history.stopped = ""
    if state["epoch"] < num_epochs:
        print(
            tr(
                "Resuming from {file}: {done} epochs done, training to epoch {last}.",
                file=path.name,
                done=state["epoch"],
                last=num_epochs,
            )
        )
    else:
        print(tr("Resuming from {file}: {done} epochs done, nothing left to do.", file=path.name, done=state["epoch"]))
    _resume_schedule(state, parts, _length(train_loader), lr, num_epochs)
    if state.get("rng") is not None:
        restore_rng_state(state["rng"], train_loader)
    else:
        print(tr("This checkpoint holds no random states: the data order will differ from an unbroken run."))
    return history, _best_state(model, history, state, path)


def _resume_schedule(state, parts, steps, lr, num_epochs):
    optimizer, scheduler = parts["optimizer"], parts["scheduler"]
    if scheduler is not None and state.get("scheduler") is None:  # saved without a schedule: go to its step
        scheduler.last_epoch = state["epoch"] * steps
    if scheduler is not None and stretch(scheduler, steps, num_epochs):
        print(tr("The learning-rate schedule now decays to zero at epoch {last}.", last=num_epochs))
    old_lr = state["config"].get("lr")
    if old_lr is None or old_lr == lr:
        return
    if scheduler is not None:
        set_base_lr(scheduler, lr)
    else:
        for group in optimizer.param_groups:
            group["lr"] = lr
    print(
        tr(
            "Applying the new lr={lr:g} (the checkpoint trained with lr={old:g}) from the next step on.",
            lr=lr,
            old=old_lr,
        )
    )


def _best_state(model, history, state, last_path):
    """The best weights so far: from ``best.pt`` beside ``last.pt``, or ``last.pt`` itself when it is the best."""
    if history.best_epoch is None:
        return None
    best_path = last_path.parent / "best.pt"
    if history.best_epoch == state["epoch"]:  # the weights just loaded are the best epoch's
        if not best_path.is_file() or read_checkpoint(best_path)["epoch"] != state["epoch"]:
            copy_checkpoint(last_path, best_path)
            print(
                tr(
                    "best.pt lagged behind {file} (stopped between its two writes): copied it over.",
                    file=last_path.name,
                )
            )
        return _copy(model)
    best = read_checkpoint(best_path, map_location=next(model.parameters()).device)
    if best["epoch"] != history.best_epoch:
        raise ValueError(
            tr(
                "{file} names epoch {best_epoch} as the best, but best.pt holds epoch {held}: "
                "the two files come from different runs. Resume from a folder holding one run's checkpoints.",
                file=last_path.name,
                best_epoch=history.best_epoch,
                held=best["epoch"],
            )
        )
    return best["model"]


def _copy(model):
    return {k: v.detach().clone() for k, v in unwrap(model).state_dict().items()}


def _restore(model, best_state, restore_best):
    if restore_best and best_state is not None:
        unwrap(model).load_state_dict(best_state)


def _kept(history, best_state):
    """What Ctrl-C keeps, as the end of a sentence."""
    if best_state is None:
        return tr("no epoch had finished, so the model keeps its partly trained weights and the history")
    return tr(
        "keeping the best weights (epoch {epoch}, validation Dice {dice:.3f}) and the history",
        epoch=history.best_epoch,
        dice=history.best_val_dice,
    )


def _diverged(epoch, losses, history, kept, checkpoint_dir, lr):
    """The TrainingDiverged message: what broke, what the model keeps, where the last good epoch is."""
    if kept:
        kept = tr(
            "The model keeps the best weights (epoch {epoch}, validation Dice {dice:.3f})",
            epoch=history.best_epoch,
            dice=history.best_val_dice,
        )
    else:
        kept = tr("The model's weights are not numbers: rebuild it")
    numbers = {"epoch": epoch, "train": losses[0], "val": losses[1], "kept": kept, "lr": lr}
    if checkpoint_dir:
        return tr(
            "Training stopped in epoch {epoch}: the loss is no longer a number (training {train}, validation "
            "{val}), so this epoch's weights are lost. {kept}; no checkpoint was written for epoch {epoch}, so "
            "{folder} holds the last good epoch. Lower lr (now {lr:g}) or look for extreme values in the data.",
            folder=checkpoint_dir,
            **numbers,
        )
    return tr(
        "Training stopped in epoch {epoch}: the loss is no longer a number (training {train}, validation "
        "{val}), so this epoch's weights are lost. {kept}. Lower lr (now {lr:g}) or look for extreme values "
        "in the data.",
        **numbers,
    )


def _length(loader):
    try:
        return len(loader)
    except TypeError:  # an iterable without a length: no schedule, and the bar counts without a total
        return None
