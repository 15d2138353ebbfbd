"""Training plots (notebook 07): loss and Dice curves per epoch, drawn once or redrawn live."""

from .style import PALETTE, finish, new_figure


def _columns(history):
    """(epochs, train_loss, val_loss, val_dice) from a History or a dict of lists."""
    get = history.get if isinstance(history, dict) else lambda name: getattr(history, name)
    return [list(get(name)) for name in ("epoch", "train_loss", "val_loss", "val_dice")]


def plot_history(history, target_dice=None, best_epoch=None, xlabel="epoch"):
    """Two panels: training and validation loss, and validation Dice, per epoch.

    ``xlabel="step"`` for runs whose every epoch is one optimizer step (overfitting one batch).
    """
    epochs, train_loss, val_loss, val_dice = _columns(history)
    fig = new_figure((9, 3.2))
    ax_loss, ax_dice = fig.subplots(1, 2)
    ax_loss.plot(epochs, train_loss, "o-", color=PALETTE["blue"], label="training")
    ax_loss.plot(epochs, val_loss, "s--", color=PALETTE["orange"], label="validation")
    ax_loss.set(xlabel=xlabel, ylabel="BCE + Dice loss", title="loss")
    ax_loss.legend()
    ax_dice.plot(epochs, val_dice, "o-", color=PALETTE["green"], label="validation Dice")
    if target_dice is not None:
        ax_dice.axhline(target_dice, color=PALETTE["black"], linestyle=":", label=f"target {target_dice}")
    best_epoch = best_epoch if best_epoch is not None else getattr(history, "best_epoch", None)
    if best_epoch in epochs:
        ax_dice.plot([best_epoch], [val_dice[epochs.index(best_epoch)]], "*", ms=14, color=PALETTE["vermillion"])
    ax_dice.set(xlabel=xlabel, ylabel="Dice", title="validation Dice", ylim=(0, 1))
    ax_dice.legend(loc="lower right")
    for ax in (ax_loss, ax_dice):
        if epochs:
            ax.set_xticks(epochs if len(epochs) <= 12 else epochs[:: max(1, len(epochs) // 10)])
    return finish(fig)


class LiveHistoryPlot:
    """An ``on_epoch_end`` callback for ``fit`` that redraws ``plot_history`` in place in a notebook."""

    def __init__(self, target_dice=None, display=None):
        if display is None:
            from IPython.display import display
        self.target_dice, self.display, self.handle, self.updates = target_dice, display, None, 0

    def __call__(self, history):
        fig = plot_history(history, self.target_dice)
        if self.handle is None:
            self.handle = self.display(fig, display_id=True)
        else:
            self.handle.update(fig)
        self.updates += 1
        return fig
