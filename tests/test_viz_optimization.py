"""Optimization plots: one curve per learning rate, the schedule per step, clear errors on empty input."""

import pytest
from matplotlib.figure import Figure

from unet_course.viz import plot_history, plot_lr_experiment, plot_schedule


def test_lr_experiment_draws_one_curve_per_learning_rate():
    fig = plot_lr_experiment({1e-4: [0.2, 0.3], 2e-3: [0.5, 0.8], 1e-1: [0.0, 0.8]})
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    assert list(ax.lines[1].get_ydata()) == [0.5, 0.8]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lr 0.0001", "lr 0.002", "lr 0.1"]


def test_lr_experiment_refuses_nothing():
    with pytest.raises(ValueError, match="at least one learning rate"):
        plot_lr_experiment({})


def test_schedule_draws_each_step_and_epoch_ends():
    lrs = [0.1 * i for i in range(10)]
    fig = plot_schedule(lrs, steps_per_epoch=4)
    (ax,) = fig.axes
    assert list(ax.lines[0].get_ydata()) == lrs
    assert len(ax.lines) == 1 + 2  # the curve and epoch ends at steps 4 and 8
    assert ax.get_xlabel() == "optimizer step"
    with pytest.raises(ValueError, match="empty"):
        plot_schedule([])


def test_plot_history_xlabel_says_step():
    history = {"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.0, 0.6], "val_dice": [0.2, 0.4]}
    fig = plot_history(history, xlabel="step")
    assert [ax.get_xlabel() for ax in fig.axes] == ["step", "step"]
    assert [ax.get_xlabel() for ax in plot_history(history).axes] == ["epoch", "epoch"]
