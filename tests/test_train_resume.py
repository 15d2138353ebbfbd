"""Resume is exact (data order, RNG, schedule), a new lr is applied, best.pt and last.pt never disagree."""

import math
import subprocess
import sys

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from unet_course.data import SyntheticCells
from unet_course.model import UNet
from unet_course.train import fit, load_checkpoint, load_model, save_checkpoint
from unet_course.train import loop as loop_module
from unet_course.train.checkpoint import FORMAT, read_checkpoint
from unet_course.train.schedule import WarmupCosine, warmup_steps_for

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one thread (conftest.py)


@pytest.fixture(scope="module")
def data():
    cells = SyntheticCells(8, size=16, seed=1)
    images, mask = zip(*(cells[i] for i in range(8)))
    return TensorDataset(torch.stack(images), torch.stack(mask))


def tiny_model():
    torch.manual_seed(0)
    return UNet(base_channels=4, depth=2)


def shuffled(data, own_generator):
    """A new loader, as a new kernel would build it (same seed)."""
    generator = torch.Generator().manual_seed(0) if own_generator else None
    return DataLoader(data, batch_size=2, shuffle=True, generator=generator)


def stop_after(epochs):
    def callback(history):
        if len(history) == epochs:
            raise KeyboardInterrupt

    return callback


def train(data, folder, own_generator, **kwargs):
    val = DataLoader(data, batch_size=4)
    return fit(
        tiny_model(),
        shuffled(data, own_generator),
        val,
        4,
        1e-2,
        "cpu",
        progress=False,
        checkpoint_dir=folder,
        **kwargs,
    )


@pytest.mark.parametrize("own_generator", [True, False], ids=["loader-generator", "global-rng"])
def test_resumed_2_plus_2_epochs_equal_4_unbroken(data, tmp_path, own_generator, capsys):
    unbroken = train(data, tmp_path / "a", own_generator)
    first = train(data, tmp_path / "b", own_generator, on_epoch_end=stop_after(2))
    assert first.epoch == [1, 2] and first.stopped == "interrupted"
    torch.manual_seed(123)  # a new kernel: the global RNG is elsewhere
    resumed = train(data, tmp_path / "b", own_generator, resume=True)
    assert "Resuming from last.pt: 2 epochs done, training to epoch 4." in capsys.readouterr().out
    assert resumed.train_loss == pytest.approx(unbroken.train_loss, rel=1e-5)
    assert resumed.val_dice == pytest.approx(unbroken.val_dice, rel=1e-5) and resumed.lr == unbroken.lr
    a, b = (read_checkpoint(tmp_path / name / "last.pt")["model"] for name in "ab")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_resume_without_saved_generator_state_would_differ(data, tmp_path):
    # the check above can fail: a resume that replays epoch 1's order gives other weights
    unbroken = train(data, tmp_path / "a", True)
    train(data, tmp_path / "b", True, on_epoch_end=stop_after(2))
    state = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    state["rng"]["loader"] = [torch.Generator().manual_seed(0).get_state()]
    torch.save(state, tmp_path / "b" / "last.pt")
    resumed = train(data, tmp_path / "b", True, resume=True)
    assert resumed.train_loss[2:] != pytest.approx(unbroken.train_loss[2:], rel=1e-5)


def test_warmup_then_cosine_by_hand():
    factor = WarmupCosine(total_steps=12, warmup_steps=2)
    assert [factor(step) for step in range(3)] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert factor(7) == pytest.approx(0.5) and factor(12) == pytest.approx(0.0, abs=1e-12)
    assert warmup_steps_for(steps_per_epoch=32, total_steps=960) == 19  # 2 % of the steps
    assert warmup_steps_for(steps_per_epoch=4, total_steps=10_000) == 4  # at most one epoch


def test_schedule_decays_to_zero_and_is_in_the_checkpoint(data, tmp_path):
    history = train(data, tmp_path, True)  # 16 steps: 2 % is no warm-up, then cosine
    expected = [1e-2 * 0.5 * (1 + math.cos(math.pi * step / 16)) for step in (4, 8, 12, 16)]
    assert history.lr == pytest.approx(expected, abs=1e-12)
    state = read_checkpoint(tmp_path / "last.pt")
    assert state["scheduler"]["last_epoch"] == 4 * 4  # 4 epochs of 4 batches
    assert state["optimizer"]["param_groups"][0]["weight_decay"] == 0.01  # AdamW's decoupled decay


def test_a_new_lr_on_resume_is_applied_and_said(data, tmp_path, capsys):
    unbroken = train(data, tmp_path / "a", True)
    train(data, tmp_path / "b", True, on_epoch_end=stop_after(2))
    val = DataLoader(data, batch_size=4)
    resumed = fit(
        tiny_model(),
        shuffled(data, True),
        val,
        4,
        5e-3,
        "cpu",
        progress=False,
        checkpoint_dir=tmp_path / "b",
        resume=True,
    )
    assert "Applying the new lr=0.005 (the checkpoint trained with lr=0.01)" in capsys.readouterr().out
    assert resumed.lr[:2] == unbroken.lr[:2]
    assert resumed.lr[2] == pytest.approx(unbroken.lr[2] / 2)  # same place in the schedule, half the peak
    assert read_checkpoint(tmp_path / "b" / "last.pt")["config"]["lr"] == 5e-3


def test_resume_with_more_epochs_stretches_the_schedule(data, tmp_path, capsys):
    train(data, tmp_path, True)
    val = DataLoader(data, batch_size=4)
    resumed = fit(
        tiny_model(), shuffled(data, True), val, 6, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path, resume=True
    )
    assert "The learning-rate schedule now decays to zero at epoch 6." in capsys.readouterr().out
    assert resumed.epoch == [1, 2, 3, 4, 5, 6] and resumed.lr[4] > 0 and resumed.lr[5] == pytest.approx(0, abs=1e-12)


def test_interrupt_between_last_and_best_is_repaired_on_resume(data, tmp_path, monkeypatch, capsys):
    real_save, fired = loop_module.save_checkpoint, []

    def save(path, *args, **kwargs):
        if path.name == "best.pt" and kwargs["epoch"] >= 2 and not fired:
            fired.append(kwargs["epoch"])
            raise KeyboardInterrupt  # after last.pt was written, before best.pt
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(loop_module, "save_checkpoint", save)
    interrupted = train(data, tmp_path, True)
    monkeypatch.undo()
    assert fired and interrupted.stopped == "interrupted"
    last, best = read_checkpoint(tmp_path / "last.pt"), read_checkpoint(tmp_path / "best.pt")
    assert last["history"]["best_epoch"] == last["epoch"] == fired[0] and best["epoch"] < fired[0]
    train(data, tmp_path, True, resume=True)
    assert "best.pt lagged behind last.pt (stopped between its two writes): copied it over." in capsys.readouterr().out
    last, best = read_checkpoint(tmp_path / "last.pt"), read_checkpoint(tmp_path / "best.pt")
    assert best["epoch"] == last["history"]["best_epoch"]


def test_best_and_last_from_different_runs_are_refused(data, tmp_path):
    train(data, tmp_path / "a", True, on_epoch_end=stop_after(3))
    state = read_checkpoint(tmp_path / "a" / "last.pt")
    if state["history"]["best_epoch"] == 3:  # make last.pt name an older best than best.pt holds
        state["history"]["best_epoch"], state["history"]["val_dice"][0] = 1, 2.0
        torch.save(state, tmp_path / "a" / "last.pt")
    best = read_checkpoint(tmp_path / "a" / "best.pt")
    best["epoch"] = 99
    torch.save(best, tmp_path / "a" / "best.pt")
    with pytest.raises(ValueError, match="but best.pt holds epoch 99: the two files come from different runs"):
        train(data, tmp_path / "a", True, resume=True)


def test_compiled_model_checkpoints_load_under_real_names(tmp_path):
    model = tiny_model()
    compiled = torch.compile(model)
    path = save_checkpoint(tmp_path / "c.pt", compiled, epoch=1)
    assert not any(k.startswith("_orig_mod") for k in read_checkpoint(path)["model"])
    other = torch.compile(UNet(base_channels=4, depth=2))
    load_checkpoint(path, other)  # into a compiled model: the weights go into its plain module
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other._orig_mod.state_dict().values()))
    state = read_checkpoint(path)  # a checkpoint someone wrote from compiled.state_dict() also loads
    state["model"] = {f"_orig_mod.{k}": v for k, v in state["model"].items()}
    torch.save(state, tmp_path / "prefixed.pt")
    assert state["format"] == FORMAT
    rebuilt = load_model(tmp_path / "prefixed.pt")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), rebuilt.state_dict().values()))


def test_checkpoint_module_does_not_import_the_ablations():
    code = "import sys, unet_course.train.checkpoint; print('unet_course.ablations' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
