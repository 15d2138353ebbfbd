"""Training: device choice, ``fit`` (mixed precision, checkpoints, resume, Ctrl-C), ``evaluate``, ``predict``.

- ``device``: ``choose_device()`` (CUDA, then Apple MPS, then CPU) and the autocast dtype
- ``loop``: ``fit(model, train_loader, val_loader, num_epochs, lr, device, ...)`` and ``evaluate``
- ``history``: ``History``, one row per epoch
- ``checkpoint``: atomic ``save_checkpoint``, ``load_checkpoint`` (``weights_only=True``), ``load_model``
- ``predict``: ``predict(model, images, threshold=0.5)`` at any image size
- ``configs``: ``training_config(device)`` (the full UNet on a GPU, a narrow one on CPU), ``make_loaders``
"""

from .checkpoint import CheckpointMismatch, load_checkpoint, load_model, model_config, save_checkpoint
from .configs import make_loaders, training_config
from .device import choose_device
from .history import History
from .loop import evaluate, fit
from .predict import predict

__all__ = [
    "CheckpointMismatch",
    "History",
    "choose_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_model",
    "make_loaders",
    "model_config",
    "predict",
    "save_checkpoint",
    "training_config",
]
