"""The learning-rate schedule: a linear warm-up, then a cosine decay to zero, stepped once a batch."""

import math

from torch.optim.lr_scheduler import LambdaLR


class WarmupCosine:
    """lr factor at optimizer step ``step``: 0 -> 1 over ``warmup_steps``, then cosine 1 -> 0 by ``total_steps``.

    A plain object (not a lambda) so that ``fit`` can stretch ``total_steps`` when a resumed
    run trains for more epochs.
    """

    def __init__(self, total_steps, warmup_steps):
        self.total_steps, self.warmup_steps = total_steps, warmup_steps

    def __call__(self, step):
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        decay_steps = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / decay_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))


def warmup_steps_for(steps_per_epoch, total_steps, warmup=0.02):
    """Warm-up length: ``warmup`` of all steps (a fraction) but never more than one epoch."""
    return min(steps_per_epoch, int(warmup * total_steps))


def warmup_cosine(optimizer, steps_per_epoch, num_epochs, warmup=0.02):
    """A ``LambdaLR`` for ``optimizer``: warm-up, then cosine decay over ``num_epochs`` epochs."""
    total = steps_per_epoch * num_epochs
    return LambdaLR(optimizer, WarmupCosine(total, warmup_steps_for(steps_per_epoch, total, warmup)))


def stretch(scheduler, steps_per_epoch, num_epochs):
    """Make the decay end at ``num_epochs`` (after a resume with more epochs); True if it changed."""
    (factor,) = scheduler.lr_lambdas
    total = steps_per_epoch * num_epochs
    if factor.total_steps == total:
        return False
    factor.total_steps = total
    _apply(scheduler)
    return True


def set_base_lr(scheduler, lr):
    """Use ``lr`` as the peak learning rate from the current step on (a new ``lr`` on resume)."""
    scheduler.base_lrs = [lr for _ in scheduler.base_lrs]
    for group in scheduler.optimizer.param_groups:
        group["initial_lr"] = lr
    _apply(scheduler)


def _apply(scheduler):
    (factor,) = scheduler.lr_lambdas
    for group, base in zip(scheduler.optimizer.param_groups, scheduler.base_lrs):
        group["lr"] = base * factor(scheduler.last_epoch)
