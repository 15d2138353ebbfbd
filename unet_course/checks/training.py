"""Checkers for the student's training loop (notebook 07):

``train_one_epoch(model, loader, optimizer, loss_fn, device) -> float``: one pass of forward,
loss, backward, step, zero_grad over the loader; returns the mean loss per image.
``validate(model, loader, loss_fn, device) -> dict``: the model in eval mode, no graphs, no
updates; returns {"loss": mean loss per image, "dice": mean hard Dice at 0.5 of sigmoid(logits)}.

Each runs the student's function on a tiny model and a fixed set of five 8x8 images in
batches of 2, 2 and 1 (so a mean of batch means differs from a mean per image), watching the
model, the optimizer and the loss through hooks.
"""

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..i18n import tr
from ._core import CheckFailed, call, seeded, time_limited

IMAGES, BATCH, EPOCHS = 5, 2, 4
POISON = 1e6  # added to every gradient after each step: a missing zero_grad carries it into the next step


def _data():
    images = torch.rand(IMAGES, 1, 8, 8)
    masks = (images > 0.5).float()  # a target a 3x3 conv can learn
    return DataLoader(TensorDataset(images, masks), batch_size=BATCH, shuffle=False)


def _model():
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 1, 1)
    )


@dataclass
class Log:
    """What happened during the student's call."""

    forwards: list = field(default_factory=list)  # (model.training, grad enabled) per forward
    outputs: list = field(default_factory=list)
    losses: list = field(default_factory=list)  # (value, batch size, arguments in order)
    steps: int = 0
    gradless_steps: int = 0
    accumulated_steps: int = 0


def _watch(model, log):
    def pre(module, args):
        log.forwards.append((module.training, torch.is_grad_enabled() and not torch.is_inference_mode_enabled()))

    def post(module, args, output):
        log.outputs.append(output)

    return [model.register_forward_pre_hook(pre), model.register_forward_hook(post)]


class _Loss(nn.Module):
    """BCEWithLogitsLoss that notes each value, the batch size, and whether logits came first."""

    def __init__(self, log):
        super().__init__()
        self.log, self.bce = log, nn.BCEWithLogitsLoss()

    def forward(self, logits, mask):
        value = self.bce(logits, mask)
        swapped = any(logits is out for out in self.log.outputs) is False and any(
            mask is out for out in self.log.outputs
        )
        self.log.losses.append((value.item(), logits.shape[0], swapped))
        return value


class _WatchedAdam(torch.optim.Adam):
    """Adam that notes each step: did it have gradients, and were they zeroed since the last step?"""

    def __init__(self, params, log):
        super().__init__(params, lr=0.05)
        self.log = log

    @torch.no_grad()
    def step(self, closure=None):
        self.log.steps += 1
        grads = [p.grad for group in self.param_groups for p in group["params"]]
        if all(g is None for g in grads):
            self.log.gradless_steps += 1
        elif any(g is not None and g.abs().max() > POISON / 2 for g in grads):
            self.log.accumulated_steps += 1
        result = super().step(closure)
        for g in grads:
            if g is not None:
                g.add_(POISON)
        return result


def _mean_per_image(losses):
    return sum(value * n for value, n, _ in losses) / sum(n for _, n, _ in losses)


def _returned_float(result, what):
    if isinstance(result, torch.Tensor):
        raise CheckFailed(
            tr(
                "{what} returned a tensor ({shape}), not a float: add up `loss.item() * batch size` (.item() gives "
                "a Python number and lets the graph go), and return that sum over the number of images.",
                what=what,
                shape=tuple(result.shape),
            )
        )
    if not isinstance(result, float | int) or isinstance(result, bool) or not math.isfinite(result):
        raise CheckFailed(
            tr(
                "{what} returned {result!r}: it must return the epoch's mean loss per image, a float.",
                what=what,
                result=result,
            )
        )
    return float(result)


def _train_calls(fn, model, loader, log):
    optimizer = _WatchedAdam(model.parameters(), log)
    loss_fn = _Loss(log)
    returned = []
    for _ in range(EPOCHS):
        model.eval()  # a train_one_epoch that forgets model.train() runs in eval mode
        log.losses.clear()
        result = call(
            "train_one_epoch(model, loader, optimizer, loss_fn, device)",
            fn,
            model,
            loader,
            optimizer,
            loss_fn,
            torch.device("cpu"),
        )
        returned.append((_returned_float(result, "train_one_epoch"), list(log.losses)))
    return returned


def _train_steps(log, batches):
    if not log.forwards:
        raise CheckFailed(
            tr("train_one_epoch never runs the model: for each (images, masks) in loader, logits = model(images).")
        )
    if not all(training for training, _ in log.forwards):
        raise CheckFailed(
            tr(
                "The model ran in eval mode: train_one_epoch never calls model.train() before the forward, so "
                "BatchNorm uses its stored statistics and does not learn them (and dropout would be off). Call "
                "model.train() at the start of the epoch: validate() leaves the model in eval mode."
            )
        )
    if not log.losses:
        raise CheckFailed(tr("train_one_epoch never calls loss_fn: loss = loss_fn(logits, masks) for each batch."))
    if any(swapped for _, _, swapped in log.losses):
        raise CheckFailed(
            tr("loss_fn(masks, logits): the prediction comes first, then the mask: loss_fn(logits, masks).")
        )
    if log.steps == 0:
        raise CheckFailed(
            tr("train_one_epoch never calls optimizer.step(): the weights never change. Call it after loss.backward().")
        )
    if log.gradless_steps:
        raise CheckFailed(
            tr("optimizer.step() ran without gradients: call loss.backward() before optimizer.step(), on every batch.")
        )
    if log.accumulated_steps:
        raise CheckFailed(
            tr(
                "Gradients accumulate: optimizer.zero_grad() is not called on every step, so each backward adds to "
                "the gradients of all the batches before it. Call optimizer.zero_grad() once per batch, before "
                "loss.backward()."
            )
        )
    if log.steps != EPOCHS * batches:
        raise CheckFailed(
            tr(
                "optimizer.step() ran {steps} times in {epochs} epochs of {batches} batches: once per batch, "
                "inside the loop over the loader.",
                steps=log.steps,
                epochs=EPOCHS,
                batches=batches,
            )
        )


def _train_value(value, losses):
    expected = _mean_per_image(losses)
    if abs(value - expected) <= 1e-5 * max(1.0, abs(expected)):
        return
    known = [  # each mistake is a word of the catalog
        (
            sum(v for v, _, _ in losses) / len(losses),
            "the mean of the batch losses: the last batch has 1 image, "
            "the others 2, so weight each batch by its size: total += loss.item() * images.shape[0]",
        ),
        (sum(v * n for v, n, _ in losses), "the sum of the losses: divide by the number of images"),
        (
            sum(v for v, _, _ in losses),
            "the sum of the batch losses: weight each by its batch size and divide by the number of images",
        ),
        (losses[-1][0], "the last batch's loss: add up every batch's loss.item() * images.shape[0]"),
    ]
    for candidate, mistake in known:
        if abs(value - candidate) <= 1e-5 * max(1.0, abs(candidate)):
            raise CheckFailed(
                tr("train_one_epoch returns {mistake}, then divide by the number of images.", mistake=mistake)
            )
    raise CheckFailed(
        tr(
            "train_one_epoch returned {value:.5f}, but the epoch's mean loss per image was {expected:.5f}: return "
            "sum(loss.item() * batch size) / number of images.",
            value=value,
            expected=expected,
        )
    )


@time_limited
def check_train_one_epoch(fn):
    """Check the student's ``train_one_epoch(model, loader, optimizer, loss_fn, device) -> float``."""
    __tracebackhide__ = True
    if not callable(fn):
        raise CheckFailed(tr("check_train_one_epoch takes your function itself, not a {type}.", type=type(fn).__name__))
    with seeded():
        loader, model, log = _data(), _model(), Log()
        hooks = _watch(model, log)
        try:
            returned = _train_calls(fn, model, loader, log)
        finally:
            for hook in hooks:
                hook.remove()
        _train_steps(log, len(loader))
        for value, losses in returned:
            _train_value(value, losses)
        first, last = returned[0][0], returned[-1][0]
        if not last < first:
            raise CheckFailed(
                tr(
                    "The loss did not go down: {first:.4f} in the first epoch, {last:.4f} in the {epochs}th, on five "
                    "images a small model can learn. Check the order on each batch: optimizer.zero_grad(), logits = "
                    "model(images), loss = loss_fn(logits, masks), loss.backward(), optimizer.step().",
                    first=first,
                    last=last,
                    epochs=EPOCHS,
                )
            )
    return tr(
        "train_one_epoch OK: train mode, zero_grad/backward/step on every batch, mean loss per image; the loss fell "
        "from {first:.3f} to {last:.3f} in {epochs} epochs.",
        first=first,
        last=last,
        epochs=EPOCHS,
    )
