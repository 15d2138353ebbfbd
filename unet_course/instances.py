"""Objects from masks (notebook 08): connected components, 3-class maps to nuclei, and object matching.

Plain numpy, no scipy. Connectivity is 4 (up, down, left, right) unless ``connectivity=8`` is asked
for: with 4, two nuclei that touch only at a corner stay two objects.
"""

import numpy as np
import torch


def _as_numpy_2d(x, name):
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"{name} must be one plane (H, W) or (1, H, W), got shape {array.shape}. Pass one image.")
    return array


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def label_components(mask, connectivity=4):
    """Connected components of ``mask != 0``: (labels (H, W) int64 numbered 1..count, 0 background, count).

    ``connectivity`` 4 (default: pixels sharing an edge) or 8 (edges and corners). Numbered in
    raster order of each object's first pixel. Two passes with union-find.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}.")
    foreground = _as_numpy_2d(mask, "mask") != 0
    h, w = foreground.shape
    provisional = np.zeros((h, w), np.int64)
    parent = [0]
    offsets = [(-1, 0), (0, -1)] + ([(-1, -1), (-1, 1)] if connectivity == 8 else [])
    for y, x in zip(*np.nonzero(foreground)):
        neighbours = [
            provisional[y + dy, x + dx]
            for dy, dx in offsets
            if 0 <= y + dy and 0 <= x + dx < w and provisional[y + dy, x + dx]
        ]
        if not neighbours:
            parent.append(len(parent))
            provisional[y, x] = len(parent) - 1
            continue
        roots = {_find(parent, n) for n in neighbours}
        root = min(roots)
        for other in roots:
            parent[other] = root
        provisional[y, x] = root
    roots = np.array([_find(parent, i) for i in range(len(parent))], np.int64)
    _, numbered = np.unique(roots, return_inverse=True)  # root 0 (background) is the smallest: it stays 0
    labels = numbered[provisional]
    return labels.astype(np.int64), int(numbered.max()) if len(numbered) else 0


def classes_to_instances(class_map, interior=1, boundary=2, connectivity=4):
    """Objects from a class map (0 background, 1 interior, 2 boundary) -> (labels (H, W) int64, count).

    The seeds are the connected components of the interior class; each is then grown, one pixel
    ring at a time (4 neighbours), into the boundary pixels that touch it, until no boundary pixel
    next to an object is left. Boundary pixels that touch no interior stay background.
    """
    classes = _as_numpy_2d(class_map, "class_map")
    labels, count = label_components(classes == interior, connectivity)
    free = classes == boundary
    h, w = labels.shape
    while True:
        padded = np.pad(labels, 1)
        grown = labels.copy()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            neighbour = padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
            take = free & (grown == 0) & (neighbour > 0)
            grown[take] = neighbour[take]
        if np.array_equal(grown, labels):
            return labels, count
        free &= grown == 0
        labels = grown


def match_instances(pred_labels, true_labels, iou=0.5):
    """Object counts of a predicted label map against the true one: dict(tp, fp, fn, precision, recall, f1).

    A predicted object and a true object match when their IoU (overlap / union, in pixels) is at
    least ``iou``; with ``iou >= 0.5`` a true object can match at most one predicted object and
    the other way round, so the matching is one-to-one. tp = matches, fp = predicted objects left
    unmatched, fn = true objects left unmatched. A split nucleus gives at most one tp and the
    rest fp; two merged nuclei give at most one tp and the other fn. Both maps empty: f1 = 1.
    """
    if iou < 0.5:
        raise ValueError(f"iou must be at least 0.5 for a one-to-one matching, got {iou!r}.")
    pred, true = _as_numpy_2d(pred_labels, "pred_labels"), _as_numpy_2d(true_labels, "true_labels")
    if pred.shape != true.shape:
        raise ValueError(f"pred_labels {pred.shape} and true_labels {true.shape} must have the same shape.")
    pred_ids, pred_index = np.unique(pred, return_inverse=True)
    true_ids, true_index = np.unique(true, return_inverse=True)
    pred_index, true_index = pred_index.reshape(-1), true_index.reshape(-1)
    overlap = np.zeros((len(pred_ids), len(true_ids)), np.int64)
    np.add.at(overlap, (pred_index, true_index), 1)
    pred_area = np.bincount(pred_index, minlength=len(pred_ids))[:, None]
    true_area = np.bincount(true_index, minlength=len(true_ids))[None, :]
    ious = (overlap / (pred_area + true_area - overlap))[pred_ids != 0][:, true_ids != 0]  # objects only
    num_pred, num_true = ious.shape
    tp, used_pred, used_true = 0, set(), set()
    for flat in np.argsort(-ious, axis=None, kind="stable"):  # best pairs first; ties at exactly 0.5 stay 1:1
        p, t = divmod(int(flat), num_true)
        if ious[p, t] < iou:
            break
        if p not in used_pred and t not in used_true:
            tp += 1
            used_pred.add(p)
            used_true.add(t)
    fp, fn = num_pred - tp, num_true - tp
    precision = tp / num_pred if num_pred else 1.0
    recall = tp / num_true if num_true else 1.0
    f1 = 2 * tp / (num_pred + num_true) if num_pred + num_true else 1.0
    return dict(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1)
