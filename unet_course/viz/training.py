"""Training plots: loss and Dice curves (live or final), predictions vs truth, error maps, per-image Dice.

Colours are Okabe-Ito (safe for the common colour-vision deficiencies): false positives in
orange, false negatives in sky blue, true positives near-white on a black background.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
ERROR_COLOURS = {  # (R, G, B) in 0..1
    "true negative": (0.0, 0.0, 0.0),
    "true positive": (0.94, 0.94, 0.94),
    "false positive": (0.90, 0.62, 0.0),  # orange #E69F00
    "false negative": (0.34, 0.71, 0.91),  # sky blue #56B4E9
}


def _as_2d(array):
    """A (H, W) numpy array from a (H, W), (1, H, W) or (1, 1, H, W) tensor or array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().float().cpu().numpy()
    array = np.asarray(array)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"Expected one image (H, W) or (1, H, W), got shape {array.shape}.")
    return array


def _columns(history):
    """(epochs, train_loss, val_loss, val_dice) from a History or a dict of lists."""
    get = history.get if isinstance(history, dict) else lambda name: getattr(history, name)
    return [list(get(name)) for name in ("epoch", "train_loss", "val_loss", "val_dice")]


def plot_history(history, target_dice=None, best_epoch=None):
    """Two panels: training and validation loss, and validation Dice, per epoch."""
    epochs, train_loss, val_loss, val_dice = _columns(history)
    fig, (ax_loss, ax_dice) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax_loss.plot(epochs, train_loss, "o-", color=OKABE_ITO["blue"], label="training")
    ax_loss.plot(epochs, val_loss, "s--", color=OKABE_ITO["orange"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="BCE + Dice loss", title="loss")
    ax_loss.legend()
    ax_dice.plot(epochs, val_dice, "o-", color=OKABE_ITO["green"], label="validation Dice")
    if target_dice is not None:
        ax_dice.axhline(target_dice, color=OKABE_ITO["black"], linestyle=":", label=f"target {target_dice}")
    best_epoch = best_epoch if best_epoch is not None else getattr(history, "best_epoch", None)
    if best_epoch in epochs:
        ax_dice.plot([best_epoch], [val_dice[epochs.index(best_epoch)]], "*", ms=14, color=OKABE_ITO["vermillion"])
    ax_dice.set(xlabel="epoch", ylabel="Dice", title="validation Dice", ylim=(0, 1))
    ax_dice.legend(loc="lower right")
    for ax in (ax_loss, ax_dice):
        if epochs:
            ax.set_xticks(epochs if len(epochs) <= 12 else epochs[:: max(1, len(epochs) // 10)])
    fig.tight_layout()
    plt.close(fig)
    return fig


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


def error_map(mask, pred):
    """An RGB (H, W, 3) picture of where ``pred`` agrees with ``mask`` and where it errs (see ERROR_COLOURS)."""
    mask, pred = _as_2d(mask) > 0.5, _as_2d(pred) > 0.5
    if mask.shape != pred.shape:
        raise ValueError(f"mask {mask.shape} and prediction {pred.shape} must have the same shape.")
    rgb = np.zeros((*mask.shape, 3))
    for name, where in [
        ("true positive", mask & pred),
        ("false positive", ~mask & pred),
        ("false negative", mask & ~pred),
    ]:
        rgb[where] = ERROR_COLOURS[name]
    return rgb


def overlay(image, mask, colour=OKABE_ITO["orange"], alpha=0.45):
    """The grayscale image in RGB with ``mask`` tinted in ``colour``."""
    image = _as_2d(image)
    span = image.max() - image.min()
    gray = (image - image.min()) / span if span else np.zeros_like(image)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    tint = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    where = _as_2d(mask) > 0.5
    rgb[where] = (1 - alpha) * rgb[where] + alpha * tint
    return rgb


def _error_legend(fig):
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, ec="0.5") for c in ERROR_COLOURS.values()]
    fig.legend(handles, list(ERROR_COLOURS), loc="lower center", ncol=4, frameon=False)


def plot_predictions(images, mask, pred, scores=None, max_images=4):
    """One row per image: image | truth | prediction | errors (FP orange, FN sky blue), titled with Dice."""
    count = min(len(images), max_images)
    if not len(images) == len(mask) == len(pred):
        raise ValueError(
            f"images, mask and pred must have the same length, got {len(images)}, {len(mask)}, {len(pred)}."
        )
    fig, axes = plt.subplots(count, 4, figsize=(9, 2.3 * count + 0.5), squeeze=False)
    for row in range(count):
        panels = [
            (_as_2d(images[row]), "gray", "image"),
            (overlay(images[row], mask[row], OKABE_ITO["sky_blue"]), None, "truth"),
            (overlay(images[row], pred[row], OKABE_ITO["orange"]), None, "prediction"),
            (error_map(mask[row], pred[row]), None, "errors"),
        ]
        for ax, (picture, cmap, title) in zip(axes[row], panels):
            ax.imshow(picture, cmap=cmap)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title)
        if scores is not None:
            axes[row, 0].set_ylabel(f"Dice {float(scores[row]):.3f}")
    _error_legend(fig)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    plt.close(fig)
    return fig


def plot_per_image_dice(scores, title="Dice per validation image"):
    """One strip of points per model (``{"U-Net": [...], "no skips": [...]}``), with each mean marked."""
    if not scores:
        raise ValueError("plot_per_image_dice needs at least one model's scores.")
    colours = list(OKABE_ITO.values())
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(scores), 3.2))
    rng = np.random.default_rng(0)  # fixed jitter: the same picture every run
    for i, values in enumerate(scores.values()):
        values = np.asarray([float(v) for v in values])
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=14, color=colours[i % 7], alpha=0.8)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color="black", lw=2)
        ax.annotate(f"{values.mean():.3f}", (i + 0.32, values.mean()), va="center")
    ax.set_xticks(range(len(scores)), list(scores))
    ax.set(ylabel="Dice", ylim=(0, 1.02), title=title, xlim=(-0.5, len(scores) - 0.2))
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_threshold(image, mask, probs, threshold, thresholds, dice_curve):
    """Probabilities, the mask at ``threshold``, its errors, and Dice against the threshold."""
    fig, axes = plt.subplots(1, 4, figsize=(11, 2.9))
    pred = _as_2d(probs) > threshold
    axes[0].imshow(_as_2d(probs), cmap="viridis", vmin=0, vmax=1)
    axes[0].set_title("probabilities")
    axes[1].imshow(overlay(image, pred, OKABE_ITO["orange"]))
    axes[1].set_title(f"mask at {threshold:.2f}")
    axes[2].imshow(error_map(mask, pred))
    axes[2].set_title("errors")
    for ax in axes[:3]:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[3].plot(thresholds, dice_curve, color=OKABE_ITO["blue"])
    axes[3].axvline(threshold, color=OKABE_ITO["orange"], linestyle="--")
    axes[3].set(xlabel="threshold", ylabel="Dice", ylim=(0, 1.02), title="Dice vs threshold")
    _error_legend(fig)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    plt.close(fig)
    return fig
