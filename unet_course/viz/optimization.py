"""Optimization plots (notebook 07): validation Dice per learning rate, and the learning rate per step."""

from .style import PALETTE, finish, new_figure

_COLOURS = ("blue", "green", "vermillion", "orange", "purple", "black")


def plot_lr_experiment(results):
    """Validation Dice per epoch, one curve per learning rate: ``results`` maps lr -> list of Dice."""
    if not results:
        raise ValueError("plot_lr_experiment needs at least one learning rate: pass {lr: [Dice per epoch], ...}")
    fig = new_figure((5.5, 3.2))
    ax = fig.subplots()
    for (lr, scores), colour in zip(results.items(), _COLOURS * 4):
        ax.plot(range(1, len(scores) + 1), scores, "o-", color=PALETTE.get(colour, PALETTE["blue"]), label=f"lr {lr:g}")
    ax.set(xlabel="epoch", ylabel="validation Dice", title="the learning rate, by experiment", ylim=(0, 1))
    ax.legend(loc="lower right")
    return finish(fig)


def plot_schedule(lrs, steps_per_epoch=None):
    """The learning rate at each optimizer step (``lrs``: one float per step), epoch ends dotted."""
    lrs = list(lrs)
    if not lrs:
        raise ValueError("plot_schedule needs the learning rate of at least one step, got an empty list")
    fig = new_figure((5.5, 3.0))
    ax = fig.subplots()
    ax.plot(range(len(lrs)), lrs, "-", color=PALETTE["blue"])
    if steps_per_epoch:
        for end in range(steps_per_epoch, len(lrs), steps_per_epoch):
            ax.axvline(end, color=PALETTE["black"], linestyle=":", linewidth=0.8)
    ax.set(xlabel="optimizer step", ylabel="learning rate", title="warm-up, then cosine decay")
    return finish(fig)
