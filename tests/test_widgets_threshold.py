"""The threshold explorer: its state worked out by hand, and the widget redrawing on a slider move."""

import pytest
import torch

from unet_course.widgets.threshold import threshold_explorer, threshold_state

PROBS = torch.tensor([[0.2, 0.7], [0.9, 0.4]])
MASK = torch.tensor([[0.0, 1.0], [1.0, 1.0]])


def test_state_by_hand():
    state = threshold_state(PROBS, MASK, 0.5)  # predicts the 0.7 and 0.9 pixels: 2 of the 3 cell pixels
    assert state["pred"].tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert state["dice"] == pytest.approx(2 * 2 / (2 + 3))
    assert (state["false_positives"], state["false_negatives"]) == (0, 1)
    assert threshold_state(PROBS, MASK, 0.3)["dice"] == pytest.approx(1.0)
    assert threshold_state(PROBS[None], MASK[None], 0.1)["false_positives"] == 1


def test_state_curve():
    state = threshold_state(PROBS, MASK, 0.5, num_thresholds=11)
    assert len(state["thresholds"]) == len(state["dice_curve"]) == 11
    assert state["dice_curve"][0] == pytest.approx(2 * 3 / (4 + 3))  # threshold 0: everything is a cell
    assert state["dice_curve"][5] == pytest.approx(state["dice"])
    assert state["dice_curve"][-1] == 0.0  # threshold 1: nothing is


def test_state_errors():
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        threshold_state(PROBS, MASK, 1.5)
    with pytest.raises(ValueError, match="same shape"):
        threshold_state(PROBS, MASK[:1], 0.5)


def test_widget_redraws_on_slider_move():
    images, probs = torch.rand(2, 1, 2, 2), torch.stack([PROBS, PROBS])[:, None]
    mask = torch.stack([MASK, MASK])[:, None]
    widget = threshold_explorer(images, probs, mask)
    slider, label = widget.children[0].children[0], widget.children[1]
    assert "unet-course-threshold-label" in label._dom_classes  # what the browser test looks for
    assert label.value.startswith("Dice 0.800: 0 false-positive and 1 false-negative pixels")
    slider.value = 0.3
    assert label.value.startswith("Dice 1.000")
    with pytest.raises(ValueError, match="same length"):
        threshold_explorer(images, probs, mask[:1])
