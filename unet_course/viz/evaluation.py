"""Evaluation plots (notebook 08): predictions against the truth, error maps, per-image Dice, the threshold.

Arguments go prediction first, then mask, as in ``metrics``. Error colours are Okabe-Ito:
false positives orange, false negatives sky blue, true positives near-white on black.
"""

import numpy as np
from matplotlib.patches import Rectangle

from .style import CYCLE, PALETTE, as_2d, finish, hide_ticks, new_figure, rgb

ERROR_COLOURS = {  # (R, G, B) in 0..1
    "true negative": (0.0, 0.0, 0.0),
    "true positive": (0.94, 0.94, 0.94),
    "false positive": (0.90, 0.62, 0.0),  # orange #E69F00
    "false negative": (0.34, 0.71, 0.91),  # sky blue #56B4E9
}


def error_map(pred, mask):
    """An RGB (H, W, 3) picture of where ``pred`` agrees with ``mask`` and where it errs (see ERROR_COLOURS).

    Not symmetric: a pixel in ``pred`` but not in ``mask`` is a false positive (orange).
    """
    pred, mask = as_2d(pred) > 0.5, as_2d(mask) > 0.5
    if pred.shape != mask.shape:
        raise ValueError(f"error_map(pred, mask): pred {pred.shape} and mask {mask.shape} must have the same shape.")
    picture = np.zeros((*mask.shape, 3))
    for name, where in [
        ("true positive", pred & mask),
        ("false positive", pred & ~mask),
        ("false negative", ~pred & mask),
    ]:
        picture[where] = ERROR_COLOURS[name]
    return picture


def overlay(image, mask, colour=PALETTE["orange"], alpha=0.45):
    """The grayscale image in RGB with ``mask`` tinted in ``colour``."""
    image = as_2d(image)
    span = image.max() - image.min()
    gray = (image - image.min()) / span if span else np.zeros_like(image)
    picture = np.repeat(gray[..., None], 3, axis=2)
    where = as_2d(mask) > 0.5
    picture[where] = (1 - alpha) * picture[where] + alpha * np.array(rgb(colour))
    return picture


def _error_legend(fig):
    handles = [Rectangle((0, 0), 1, 1, color=colour, ec="0.5") for colour in ERROR_COLOURS.values()]
    fig.legend(handles, list(ERROR_COLOURS), loc="lower center", ncol=4, frameon=False)


def plot_predictions(images, pred, mask, scores=None, max_images=4):
    """One row per image: image | truth | prediction | errors (FP orange, FN sky blue), titled with Dice."""
    if not len(images) == len(pred) == len(mask):
        raise ValueError(
            f"images, pred and mask must have the same length, got {len(images)}, {len(pred)}, {len(mask)}."
        )
    count = min(len(images), max_images)
    fig = new_figure((9, 2.3 * count + 0.5))
    axes = fig.subplots(count, 4, squeeze=False)
    for row in range(count):
        panels = [
            (as_2d(images[row]), "gray", "image"),
            (overlay(images[row], mask[row], PALETTE["sky_blue"]), None, "truth"),
            (overlay(images[row], pred[row], PALETTE["orange"]), None, "prediction"),
            (error_map(pred[row], mask[row]), None, "errors"),
        ]
        for ax, (picture, cmap, title) in zip(axes[row], panels):
            ax.imshow(picture, cmap=cmap)
            hide_ticks(ax)
            if row == 0:
                ax.set_title(title)
        if scores is not None:
            axes[row, 0].set_ylabel(f"Dice {float(scores[row]):.3f}")
    _error_legend(fig)
    return finish(fig, rect=(0, 0.06, 1, 1))


def plot_per_image_dice(scores, title="Dice per validation image"):
    """One strip of points per model (``{"U-Net": [...], "no skips": [...]}``), with each mean marked."""
    if not scores:
        raise ValueError("plot_per_image_dice needs at least one model's scores.")
    fig = new_figure((1.8 + 1.6 * len(scores), 3.2))
    ax = fig.add_subplot()
    random = np.random.default_rng(0)  # fixed jitter: the same picture every run
    for i, values in enumerate(scores.values()):
        values = np.asarray([float(v) for v in values])
        jitter = random.uniform(-0.15, 0.15, len(values))
        ax.scatter(i + jitter, values, s=14, color=CYCLE[i % len(CYCLE)], alpha=0.8)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color="black", lw=2)
        ax.annotate(f"{values.mean():.3f}", (i + 0.32, values.mean()), va="center")
    ax.set_xticks(range(len(scores)), list(scores))
    ax.set(ylabel="Dice", ylim=(0, 1.02), title=title, xlim=(-0.5, len(scores) - 0.2))
    return finish(fig)


def plot_threshold(image, probs, mask, threshold, thresholds, dice_curve):
    """Probabilities, the mask at ``threshold``, its errors, and Dice against the threshold."""
    fig = new_figure((11, 2.9))
    axes = fig.subplots(1, 4)
    pred = as_2d(probs) > threshold
    axes[0].imshow(as_2d(probs), cmap="viridis", vmin=0, vmax=1)
    axes[0].set_title("probabilities")
    axes[1].imshow(overlay(image, pred, PALETTE["orange"]))
    axes[1].set_title(f"mask at {threshold:.2f}")
    axes[2].imshow(error_map(pred, mask))
    axes[2].set_title("errors")
    hide_ticks(*axes[:3])
    axes[3].plot(thresholds, dice_curve, color=PALETTE["blue"])
    axes[3].axvline(threshold, color=PALETTE["orange"], linestyle="--")
    axes[3].set(xlabel="threshold", ylabel="Dice", ylim=(0, 1.02), title="Dice vs threshold")
    _error_legend(fig)
    return finish(fig, rect=(0, 0.1, 1, 1))


def plot_threshold_curves(thresholds, dice_curves, threshold=0.5, title="Dice against the threshold, image by image"):
    """One Dice-against-threshold curve per image (``dice_curves``: a list of curves), the chosen threshold dashed."""
    curves = [np.asarray(curve, dtype=float) for curve in dice_curves]
    if not curves or any(len(curve) != len(thresholds) for curve in curves):
        raise ValueError(
            f"dice_curves must be one or more curves of {len(thresholds)} values (one per threshold), "
            f"got lengths {[len(curve) for curve in curves]}."
        )
    fig = new_figure((6.2, 3.2))
    ax = fig.add_subplot()
    for i, curve in enumerate(curves):
        ax.plot(thresholds, curve, color=CYCLE[i % len(CYCLE)], lw=1.4, alpha=0.85)
    ax.axvline(threshold, color="black", linestyle="--", lw=1)
    ax.set(xlabel="threshold", ylabel="Dice", xlim=(0, 1), ylim=(0, 1.02), title=title)
    return finish(fig)


def label_picture(labels):
    """An RGB (H, W, 3) picture of a label map: background black, object k in ``CYCLE[k % len(CYCLE)]``."""
    labels = np.asarray(as_2d(labels)).astype(np.int64)
    colours = np.array([(0.0, 0.0, 0.0)] + [rgb(c) for c in CYCLE])
    index = np.where(labels > 0, 1 + (labels - 1) % len(CYCLE), 0)
    return colours[index]


def plot_instances(image, labels, title=None):
    """The image, then one panel per label map (``labels``: {"truth": map, "Otsu": map, ...}), titled with its count.

    Each object is one colour (7 colours in turn), so two touching nuclei read as two colours when they
    are two objects and as one when they have merged.
    """
    if not labels:
        raise ValueError('plot_instances needs at least one label map, e.g. {"truth": true_labels}.')
    fig = new_figure((2.6 * (len(labels) + 1), 3.0))
    axes = fig.subplots(1, len(labels) + 1)
    axes[0].imshow(as_2d(image), cmap="gray")
    axes[0].set_title("image")
    for ax, (name, label_map) in zip(axes[1:], labels.items()):
        count = len(np.unique(np.asarray(as_2d(label_map)))) - int((np.asarray(as_2d(label_map)) == 0).any())
        ax.imshow(label_picture(label_map))
        ax.set_title(f"{name}: {count} object{'' if count == 1 else 's'}")
    hide_ticks(*axes)
    return finish(fig, title=title)
