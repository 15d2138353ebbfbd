"""Checker for the student's ``validate(model, loader, loss_fn, device) -> dict`` (notebook 07):
eval mode, no graphs, no updates; {"loss": mean loss per image, "dice": mean hard Dice at 0.5
of sigmoid(logits)}."""

import torch

from ..i18n import tr
from ..metrics import binary_dice
from ._core import CheckFailed, call, seeded, time_limited
from .training import Log, _data, _Loss, _model, _watch


def _reference(model, loader):
    """Mean loss and mean hard Dice per image, and the usual wrong versions of both, by name."""
    bce = torch.nn.BCEWithLogitsLoss()
    values = {"loss": [], "dice": [], "logit dice": [], "soft dice": []}
    sizes = []
    model.eval()
    with torch.no_grad():
        for images, masks in loader:
            logits = model(images)
            probs = torch.sigmoid(logits)
            sizes.append(images.shape[0])
            values["loss"].append(bce(logits, masks).item())
            values["dice"].append(binary_dice(probs > 0.5, masks).mean().item())
            values["logit dice"].append(binary_dice(logits > 0.5, masks).mean().item())
            dims = (1, 2, 3)
            soft = (2 * (probs * masks).sum(dims) + 1) / (probs.sum(dims) + masks.sum(dims) + 1)
            values["soft dice"].append(soft.mean().item())
    per_image = {k: sum(v * n for v, n in zip(vs, sizes)) / sum(sizes) for k, vs in values.items()}
    per_batch = {k: sum(vs) / len(vs) for k, vs in values.items()}
    return per_image, per_batch


def _near(a, b):
    return abs(a - b) <= 1e-5 * max(1.0, abs(b))


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _changes(before, model):
    return [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]


def _behaviour(log, changed, model):
    if not log.forwards:
        raise CheckFailed(
            tr("validate never runs the model: for each (images, masks) in loader, logits = model(images).")
        )
    if any(training for training, _ in log.forwards):
        raise CheckFailed(
            tr(
                "The model ran in train mode: validate never calls model.eval() before the forward, so BatchNorm "
                "normalises with each batch's statistics and updates its running statistics while it measures. "
                "Call model.eval() at the start of validate."
            )
        )
    if any(p.grad is not None for p in model.parameters()):
        raise CheckFailed(tr("validate calls loss.backward(): validation only measures. Remove the backward."))
    if changed:
        raise CheckFailed(
            tr(
                "validate changed the model ({changed}): validation must leave the weights and BatchNorm's "
                "statistics as they are. Remove anything that updates them.",
                changed=", ".join(changed[:3]),
            )
        )
    if any(grad for _, grad in log.forwards):
        raise CheckFailed(
            tr(
                "validate builds autograd graphs it never uses: wrap the loop in `with torch.no_grad():` (or "
                "torch.inference_mode()), which saves the memory and the time that recording costs."
            )
        )


def _values(result, per_image, per_batch):
    if not isinstance(result, dict) or set(result) != {"loss", "dice"}:
        got = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise CheckFailed(
            tr('validate returned {got}: return a dict with two keys, {{"loss": ..., "dice": ...}}.', got=got)
        )
    for key in ("loss", "dice"):
        if not isinstance(result[key], float | int) or isinstance(result[key], bool):
            raise CheckFailed(
                tr(
                    'validate\'s "{key}" is a {type}: make it a float (.item()).',
                    key=key,
                    type=type(result[key]).__name__,
                )
            )
    loss, dice = float(result["loss"]), float(result["dice"])
    if not _near(loss, per_image["loss"]):
        if _near(loss, per_batch["loss"]):
            raise CheckFailed(
                tr(
                    'validate\'s "loss" is the mean of the batch losses; the last batch has 1 image, the others 2: '
                    "weight each batch by its size (loss.item() * images.shape[0]) and divide by the number of "
                    "images."
                )
            )
        raise CheckFailed(
            tr(
                'validate\'s "loss" is {loss:.5f}; the mean loss per image is {expected:.5f}.',
                loss=loss,
                expected=per_image["loss"],
            )
        )
    if _near(dice, per_image["dice"]):
        return
    mistakes = [  # each mistake is a word of the catalog
        (per_batch["dice"], "averages the batch means: weight each batch's Dice by its number of images"),
        (per_image["logit dice"], "thresholds the logits at 0.5: apply torch.sigmoid first, then > 0.5"),
        (per_image["soft dice"], "is the soft Dice of the probabilities: threshold them, sigmoid(logits) > 0.5"),
    ]
    for candidate, mistake in mistakes:
        if _near(dice, candidate):
            raise CheckFailed(tr('validate\'s "dice" {mistake}.', mistake=mistake))
    raise CheckFailed(
        tr(
            'validate\'s "dice" is {dice:.5f}; the mean hard Dice per image of sigmoid(logits) > 0.5 is '
            "{expected:.5f}.",
            dice=dice,
            expected=per_image["dice"],
        )
    )


@time_limited
def check_validate(fn):
    """Check the student's ``validate(model, loader, loss_fn, device) -> dict``."""
    __tracebackhide__ = True
    if not callable(fn):
        raise CheckFailed(tr("check_validate takes your function itself, not a {type}.", type=type(fn).__name__))
    with seeded():
        loader, model, log = _data(), _model(), Log()
        with torch.no_grad():
            model[1].running_mean.uniform_(-0.3, 0.3)  # statistics that differ from any one batch's
            model[3].bias.fill_(0.2)  # some logits between 0 and 0.5: sigmoid first matters
        per_image, per_batch = _reference(model, loader)
        model.train()  # a validate that forgets model.eval() runs in train mode
        before, hooks = _state(model), _watch(model, log)
        try:
            result = call(
                "validate(model, loader, loss_fn, device)", fn, model, loader, _Loss(log), torch.device("cpu")
            )
        finally:
            for hook in hooks:
                hook.remove()
        _behaviour(log, _changes(before, model), model)
        _values(result, per_image, per_batch)
    return tr(
        "validate OK: eval mode, no graphs, no updates; loss {loss:.3f}, Dice {dice:.3f}.",
        loss=per_image["loss"],
        dice=per_image["dice"],
    )
