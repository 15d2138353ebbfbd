"""The training configuration for a device: the text's full UNet on a GPU, a small one elsewhere."""

import torch

from .device import as_device, use_pin_memory
from .memory import gpu_training_config

CONFIGS = {
    # the text's network, 31,036,481 parameters, on images large enough to keep a GPU busy
    "cuda": {
        "model": {"base_channels": 64, "depth": 4},
        "size": 256,
        "num_train": 512,
        "num_val": 64,
        "batch_size": 16,
        "num_epochs": 10,
        "lr": 1e-3,
    },
    "mps": {
        "model": {"base_channels": 32, "depth": 4},
        "size": 128,
        "num_train": 256,
        "num_val": 32,
        "batch_size": 16,
        "num_epochs": 10,
        "lr": 1e-3,
    },
    # the text's U, four levels deep, at 1/8 of its width (486,409 parameters) on small images:
    # a few seconds an epoch on two cores; lr 4e-3 because the cosine decay lowers it soon
    # (measured: validation Dice 0.957 after 5 of 6 epochs; 2e-3 reached 0.943 in 6)
    "cpu": {
        "model": {"base_channels": 8, "depth": 4},
        "size": 64,
        "num_train": 256,
        "num_val": 32,
        "batch_size": 8,
        "num_epochs": 6,
        "lr": 4e-3,
    },
}


def training_config(device):
    """A fresh copy of the configuration for ``device`` (a ``torch.device`` or its type)."""
    kind = getattr(device, "type", str(device))
    if kind not in CONFIGS:
        raise ValueError(f"No training configuration for device {kind!r}: expected one of {list(CONFIGS)}.")
    if kind == "cuda" and torch.cuda.is_available():  # sized to this GPU's memory (see train/memory.py)
        index = getattr(device, "index", None) or 0
        return gpu_training_config(torch.cuda.get_device_properties(index).total_memory)
    config = CONFIGS[kind]
    return {**config, "model": dict(config["model"])}


def make_loaders(config, seed=0, device=None):
    """Training and validation DataLoaders of synthetic cells for ``config`` (seeded, different seeds for each).

    ``device``: where training runs; on CUDA the batches come in pinned memory.
    """
    from torch.utils.data import DataLoader, TensorDataset

    from ..data import SyntheticCells

    def made(num_images, seed):  # made once, kept in memory: epochs do not pay for making them again
        cells = SyntheticCells(num_images, size=config["size"], seed=seed)
        images, mask = zip(*(cells[i] for i in range(num_images)))
        return TensorDataset(torch.stack(images), torch.stack(mask))

    train_set, val_set = made(config["num_train"], seed), made(config["num_val"], seed + 10_000)
    generator = torch.Generator().manual_seed(seed)
    # page-locked batches let the copy to the GPU overlap the work
    pin = device is not None and use_pin_memory(as_device(device))
    train_loader = DataLoader(
        train_set, batch_size=config["batch_size"], shuffle=True, generator=generator, pin_memory=pin
    )
    val_loader = DataLoader(val_set, batch_size=config["batch_size"], pin_memory=pin)
    return train_loader, val_loader
