"""Training: device choice, ``fit`` (AdamW with warm-up and cosine decay, checkpoints, exact resume, Ctrl-C).

- ``device``: ``choose_device()`` (CUDA, then Apple MPS, then CPU) and the autocast dtype
- ``epoch``: the phases, ``train_one_epoch(model, loader, optimizer, loss_fn, device)`` and ``evaluate``
- ``loop``: ``fit(model, train_loader, val_loader, num_epochs, lr, device, ...)`` and ``save_checkpoints``
- ``checks``: what ``fit`` refuses before training (bad arguments, a first batch it cannot learn from)
- ``schedule``: ``warmup_cosine`` (linear warm-up, then cosine decay, stepped each batch)
- ``rng``: the random states a checkpoint keeps so that resume is exact
- ``history``: ``History``, one row per epoch
- ``checkpoint``: atomic ``save_checkpoint``, ``load_checkpoint`` (``weights_only=True``), ``load_model``
- ``predict``: ``predict(model, images, threshold=0.5)`` at any image size, binary or multi-class
- ``configs``: ``training_config(device)`` (the full UNet on a GPU, a narrow one on CPU), ``make_loaders``
"""

from .checkpoint import (
    CheckpointMismatch,
    load_checkpoint,
    load_model,
    model_config,
    register_model,
    save_checkpoint,
)
from .configs import make_loaders, training_config
from .device import choose_device
from .epoch import evaluate, train_one_epoch
from .history import History
from .loop import TrainingDiverged, fit, save_checkpoints
from .predict import predict
from .schedule import warmup_cosine

__all__ = [
    "CheckpointMismatch",
    "History",
    "TrainingDiverged",
    "choose_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_model",
    "make_loaders",
    "model_config",
    "predict",
    "register_model",
    "save_checkpoint",
    "save_checkpoints",
    "train_one_epoch",
    "training_config",
    "warmup_cosine",
]
