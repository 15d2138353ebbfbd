"""Checkpoints: written atomically, loaded with ``weights_only=True``, checked against the model."""

import importlib
import os
import tempfile
from pathlib import Path

import torch
from torch import nn

from ..i18n import tr
from ..inputs import PadToFit
from ..model import UNet

FORMAT = "unet-course checkpoint 1"


class CheckpointMismatch(ValueError):
    """A checkpoint saved from one architecture, loaded into another."""


def unwrap(model):
    """The plain module inside ``torch.compile(...)`` or ``PadToFit(...)``."""
    model = getattr(model, "_orig_mod", model)
    return model.model if isinstance(model, PadToFit) else model


def model_config(model):
    """The constructor arguments that rebuild ``model``: what a checkpoint records about its architecture."""
    model = unwrap(model)
    if not isinstance(model, UNet):
        return {"class": type(model).__name__}
    return {
        "class": type(model).__name__,
        "in_channels": model.in_channels,
        "num_classes": model.num_classes,
        "base_channels": model.in_conv.double_conv[0].out_channels,
        "depth": model.depth,
        "up_mode": model.up_mode,
        "padding": model.padding,
        "batch_norm": any(isinstance(m, nn.BatchNorm2d) for m in model.in_conv.modules()),
    }


def config_as_call(config):
    """``UNet(in_channels=1, ...)``: a model configuration written as the call that builds it."""
    arguments = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "class")
    return f"{config.get('class', '?')}({arguments})"


# the classes load_model may build, by the name a checkpoint records, as "module:class" (imported
# only when a checkpoint asks for one, so this module does not import the ablations)
MODEL_CLASSES = {"UNet": "unet_course.model:UNet", "NoSkipUNet": "unet_course.ablations:NoSkipUNet"}


def register_model(cls):
    """Let ``load_model`` rebuild ``cls`` (its constructor must take what ``model_config`` records)."""
    MODEL_CLASSES[cls.__name__] = f"{cls.__module__}:{cls.__qualname__}"
    return cls


def model_class(name, path):
    if name not in MODEL_CLASSES:
        raise ValueError(
            tr(
                "{file} holds a {name}, which load_model cannot build: expected one of "
                "{choices} (add a class with train.checkpoint.register_model).",
                file=Path(path).name,
                name=name,
                choices=list(MODEL_CLASSES),
            )
        )
    module, qualname = MODEL_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), qualname)


def real_names(state_dict):
    """A state dict under the plain module's names: no ``_orig_mod.`` (``torch.compile``) prefixes."""
    return {key.replace("_orig_mod.", ""): value for key, value in state_dict.items()}


def save_checkpoint(
    path, model, optimizer=None, epoch=0, history=None, config=None, scaler=None, *, scheduler=None, rng=None
):
    """Write a checkpoint atomically: a temporary file in the same folder, then ``os.replace``.

    A crash mid-write leaves the previous checkpoint intact and no partial file behind. Weights
    are saved under the plain module's names (never ``_orig_mod.``); ``rng`` is ``rng.rng_state()``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "model": unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": rng,
        "epoch": int(epoch),
        "config": {**(config or {}), "model": model_config(model)},
        "history": history.to_dict() if history is not None else None,
    }
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    return path


def read_checkpoint(path, map_location="cpu"):
    """The checkpoint's contents, loaded safely (tensors and plain Python values only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            tr("No checkpoint at {path}: train with fit(..., checkpoint_dir=...) first.", path=path)
        )
    state = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(
            tr(
                "{file} is not a unet-course checkpoint (expected the format {format!r}).",
                file=path.name,
                format=FORMAT,
            )
        )
    return state


def load_checkpoint(path, model, optimizer=None, scaler=None, map_location="cpu", *, scheduler=None):
    """Load a checkpoint's weights (and optimizer, scaler, scheduler states) into ``model``; return the checkpoint.

    ``model`` may be ``torch.compile``d or wrapped in ``PadToFit``: the weights go into the plain module.

    Raises ``CheckpointMismatch`` naming both configurations when the architectures differ.
    """
    state = read_checkpoint(path, map_location)
    saved, current = state["config"]["model"], model_config(model)
    if saved != current:
        raise CheckpointMismatch(
            tr(
                "{file} was saved from {saved}, but this model is {current}. "
                "Build the model as the checkpoint was (load_model({quoted}) does it for you).",
                file=Path(path).name,
                quoted=repr(Path(path).name),  # its own field: localize() matches a repeated field by its text
                saved=config_as_call(saved),
                current=config_as_call(current),
            )
        )
    try:
        unwrap(model).load_state_dict(real_names(state["model"]))
    except RuntimeError as error:
        where = tr("{file} does not fit this {current}:", file=Path(path).name, current=config_as_call(current))
        raise CheckpointMismatch(f"{where} {error}") from None
    if optimizer is not None and state["optimizer"] is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    if scheduler is not None and state.get("scheduler") is not None:
        factor = scheduler.lr_lambdas[0] if hasattr(scheduler, "lr_lambdas") else None
        scheduler.load_state_dict(state["scheduler"])
        if factor is not None:  # LambdaLR's state holds no function: keep this run's schedule object
            scheduler.lr_lambdas = [factor]
    return state


def load_model(path, map_location="cpu"):
    """Rebuild the model a checkpoint was saved from and load its weights (in eval mode)."""
    state = read_checkpoint(path, map_location)
    config = dict(state["config"]["model"])
    model = model_class(config.pop("class"), path)(**config)
    model.load_state_dict(real_names(state["model"]))
    return model.eval()


def copy_checkpoint(source, target):
    """Copy a checkpoint file atomically (a temporary file beside ``target``, then ``os.replace``)."""
    source, target = Path(source), Path(target)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(source.read_bytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
    return target
