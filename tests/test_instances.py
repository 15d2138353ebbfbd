"""Objects from masks: connected components, 3-class maps to nuclei, one-to-one matching at IoU 0.5."""

import numpy as np
import pytest
import torch

from unet_course.data import instance_to_classes
from unet_course.instances import classes_to_instances, label_components, match_instances


def touching_squares():
    """Two 4x4 nuclei side by side, touching along a whole edge, and a third one apart."""
    labels = np.zeros((10, 12), np.int64)
    labels[1:5, 1:5] = 1
    labels[1:5, 5:9] = 2
    labels[6:9, 8:11] = 3
    return labels


def test_label_components_four_and_eight_connected():
    mask = np.zeros((5, 5), np.int64)
    mask[0, 0] = mask[1, 1] = 1  # touching at a corner only
    mask[3:5, 3:5] = 1
    labels, count = label_components(mask)
    assert count == 3 and labels[0, 0] == 1 and labels[1, 1] == 2 and set(labels[3:, 3:].ravel()) == {3}
    labels8, count8 = label_components(mask, connectivity=8)
    assert count8 == 2 and labels8[0, 0] == labels8[1, 1] == 1
    u_shape = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]])  # two arms that meet lower down: one object
    assert label_components(torch.tensor(u_shape)[None])[1] == 1
    with pytest.raises(ValueError, match="connectivity must be 4 or 8"):
        label_components(mask, connectivity=6)
    with pytest.raises(ValueError, match=r"one plane \(H, W\)"):
        label_components(np.zeros((2, 3, 3)))


def test_touching_squares_merge_as_a_mask_but_separate_through_classes():
    labels = touching_squares()
    assert label_components(labels > 0)[1] == 2  # the two touching ones merge
    instances, count = classes_to_instances(instance_to_classes(labels))
    assert count == 3
    assert match_instances(instances, labels) == dict(tp=3, fp=0, fn=0, precision=1.0, recall=1.0, f1=1.0)
    assert np.array_equal(instances > 0, labels > 0)  # grown back into every boundary pixel


def test_boundary_without_interior_stays_background():
    classes = np.zeros((4, 4), np.int64)
    classes[0, :] = 2
    assert classes_to_instances(classes)[1] == 0 and classes_to_instances(classes)[0].sum() == 0


def test_empty_images():
    empty = np.zeros((6, 6), np.int64)
    assert label_components(empty) == (pytest.approx(empty), 0)
    assert match_instances(empty, empty)["f1"] == 1.0
    labels = touching_squares()
    assert match_instances(np.zeros_like(labels), labels) == dict(tp=0, fp=0, fn=3, precision=1.0, recall=0.0, f1=0.0)
    assert match_instances(labels, np.zeros_like(labels)) == dict(tp=0, fp=3, fn=0, precision=0.0, recall=1.0, f1=0.0)


def test_a_missed_object_a_merged_pair_and_a_split_object():
    true = touching_squares()
    missed = true.copy()
    missed[missed == 3] = 0
    assert match_instances(missed, true) == dict(tp=2, fp=0, fn=1, precision=1.0, recall=2 / 3, f1=0.8)
    merged = np.where(true == 2, 1, true)  # 1 and 2 as one object: IoU 0.5 with each, only one may match
    result = match_instances(merged, true)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 0, 1)
    split = true.copy()
    split[6:9, 10] = 4  # object 3 cut into 3x2 (IoU 2/3: a match) and 3x1 (a false positive)
    assert match_instances(split, true) == dict(tp=3, fp=1, fn=0, precision=0.75, recall=1.0, f1=6 / 7)
    split[6:9, 9] = 4  # now 3x1 and 3x2: the larger piece still matches
    assert match_instances(split, true)["tp"] == 3
    with pytest.raises(ValueError, match="iou must be at least 0.5"):
        match_instances(true, true, iou=0.3)
    with pytest.raises(ValueError, match="same shape"):
        match_instances(true, true[:5])
