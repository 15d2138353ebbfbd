"""The baseline a U-Net must beat: one global threshold (the best possible one, and Otsu's)."""

import numpy as np
import torch

from ..metrics import binary_dice


def otsu_threshold(image, bins=256):
    """Otsu's threshold of one image in [0, 1]: the level that best separates two classes of pixels."""
    counts, edges = np.histogram(np.asarray(image, dtype=np.float64), bins=bins, range=(0, 1))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    s0 = np.cumsum(counts * centres)
    m0 = s0 / np.maximum(w0, 1)
    m1 = (s0[-1] - s0) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2  # between-class variance for each cut
    return float(edges[1:][np.argmax(between)])


def _stack(pairs):
    images, masks = zip(*pairs)
    return torch.stack([torch.as_tensor(i).float() for i in images]), torch.stack([torch.as_tensor(m) for m in masks])


THRESHOLDS = np.linspace(0, 1, 101)


def threshold_baseline(pairs, thresholds=THRESHOLDS):
    """Dice of a global threshold on (image, mask) pairs (e.g. a dataset): best single threshold and Otsu.

    The best threshold is chosen with the masks (an oracle, so an upper bound for any single global
    threshold); Otsu's is computed per image without them. Returns a dict of plain floats.
    """
    images, masks = _stack(pairs)
    scores = [binary_dice(images > t, masks).mean().item() for t in thresholds]
    best = int(np.argmax(scores))
    otsu = torch.tensor([otsu_threshold(image) for image in images.numpy()]).view(-1, *[1] * (images.dim() - 1))
    return {
        "best_threshold": float(thresholds[best]),
        "best_threshold_dice": scores[best],
        "otsu_dice": binary_dice(images > otsu, masks).mean().item(),
    }
