"""Training: it overfits one batch; checkpoints are atomic and safe; resume and Ctrl-C keep what was learned."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from unet_course.data import SyntheticCells
from unet_course.model import UNet
from unet_course.train import (
    CheckpointMismatch,
    History,
    choose_device,
    evaluate,
    fit,
    load_checkpoint,
    load_model,
    model_config,
    predict,
    save_checkpoint,
)
from unet_course.train import checkpoint as checkpoint_module
from unet_course.train import loop as loop_module

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one thread (conftest.py)


def tiny_model(base_channels=4, depth=2):
    torch.manual_seed(0)
    return UNet(base_channels=base_channels, depth=depth)


@pytest.fixture(scope="module")
def batch():
    cells = SyntheticCells(4, size=32, seed=0)
    images, mask = zip(*(cells[i] for i in range(4)))
    return torch.stack(images), torch.stack(mask)


@pytest.fixture
def loaders(batch):
    loader = DataLoader(TensorDataset(*batch), batch_size=2)
    return loader, loader


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_overfits_one_batch(batch):
    model = tiny_model(8)
    history = fit(model, [batch], [batch], 100, 3e-2, "cpu", progress=False, target_dice=0.9)
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.stopped == "target" and history.best_val_dice >= 0.9, history.val_dice


def test_history_and_evaluate(loaders):
    model = tiny_model()
    history = fit(model, *loaders, 2, 1e-2, "cpu", progress=False)
    assert history.epoch == [1, 2] and len(history.rows()) == 2
    assert history.num_images == [4, 4] and history.images_per_second > 0
    assert History.from_dict(history.to_dict()) == history
    metrics = evaluate(model, loaders[1], "cpu")
    assert metrics["num_images"] == 4 and 0 <= metrics["dice"] <= 1
    assert metrics["dice"] == pytest.approx(history.best_val_dice, abs=1e-6)  # the model holds its best epoch


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    model, path = tiny_model(), tmp_path / "last.pt"
    save_checkpoint(path, model, epoch=1)

    def broken_save(state, file):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, epoch=2)
    monkeypatch.undo()
    assert load_checkpoint(path, tiny_model())["epoch"] == 1  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # and no temporary file is left


def test_checkpoint_contents_and_weights_only(tmp_path, monkeypatch, loaders):
    model = tiny_model()
    fit(model, *loaders, 1, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path, config={"size": 32})
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k) or real_load(*a, **k))
    state = load_checkpoint(tmp_path / "best.pt", tiny_model())
    assert calls and all(k.get("weights_only") is True for k in calls)
    assert set(state) >= {"model", "optimizer", "epoch", "config", "history"}
    assert state["config"]["model"] == model_config(model) and state["config"]["size"] == 32
    assert state["config"]["model"]["base_channels"] == 4 and state["history"]["epoch"] == [1]
    rebuilt = load_model(tmp_path / "best.pt")
    assert same_weights(rebuilt, model)


def test_weights_only_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": checkpoint_module.FORMAT, "payload": History()}, path)  # a pickled class
    with pytest.raises(Exception, match="Weights only load failed|Unsupported global"):
        load_checkpoint(path, tiny_model())


def test_another_architecture_is_a_clear_error(tmp_path):
    save_checkpoint(tmp_path / "best.pt", tiny_model(base_channels=4))
    with pytest.raises(CheckpointMismatch) as error:
        load_checkpoint(tmp_path / "best.pt", tiny_model(base_channels=8))
    assert "UNet(in_channels=1, num_classes=1, base_channels=4" in str(error.value)
    assert "this model is UNet(in_channels=1, num_classes=1, base_channels=8" in str(error.value)


def test_resume_continues_epochs_and_history(tmp_path, loaders, capsys):
    first = fit(tiny_model(), *loaders, 2, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path)
    resumed = fit(tiny_model(), *loaders, 4, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path, resume=True)
    assert "Resuming from last.pt: 2 epochs done, training to epoch 4." in capsys.readouterr().out
    assert resumed.epoch == [1, 2, 3, 4]
    assert resumed.val_dice[:2] == first.val_dice and resumed.train_loss[:2] == first.train_loss
    assert resumed.elapsed[2] > resumed.elapsed[1]
    assert load_checkpoint(tmp_path / "last.pt", tiny_model())["epoch"] == 4


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_mixed_precision_path_learns_checkpoints_and_resumes(dtype, tmp_path, loaders, monkeypatch, capsys):
    # CI has no GPU: run fit's GPU path (autocast, and gradient scaling for fp16) on the CPU
    monkeypatch.setattr(loop_module, "amp_dtype", lambda device, amp=True: dtype if amp else None)
    model, seen = tiny_model(), set()
    model.out_conv.register_forward_hook(lambda module, inputs, output: seen.add(output.dtype))
    history = fit(model, *loaders, 3, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path)
    assert seen == {dtype}  # the logits were computed in reduced precision
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights stay fp32
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["config"]["amp"] == str(dtype)
    assert (state["scaler"] is not None) == (dtype == torch.float16)  # only fp16 scales the loss
    if dtype == torch.float16:
        assert state["scaler"]["scale"] > 0
    resumed = fit(tiny_model(), *loaders, 4, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path, resume=True)
    assert "3 epochs done, training to epoch 4" in capsys.readouterr().out
    assert resumed.epoch == [1, 2, 3, 4] and resumed.train_loss[:3] == history.train_loss


def test_channels_last_path_learns_and_checkpoints(tmp_path, loaders, monkeypatch):
    # CI has no GPU: run fit's channels_last (NHWC) path on the CPU
    monkeypatch.setattr(loop_module, "use_channels_last", lambda device, channels_last=True: channels_last)
    model, layouts = tiny_model(), []
    model.in_conv.register_forward_pre_hook(
        lambda module, args: layouts.append(args[0].is_contiguous(memory_format=torch.channels_last))
    )
    history = fit(model, *loaders, 3, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path)
    assert layouts and all(layouts)  # every batch, in training and validation, went in as NHWC
    assert model.in_conv.double_conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert history.train_loss[-1] < history.train_loss[0]
    assert same_weights(load_model(tmp_path / "best.pt"), model)  # loads into a plain NCHW model


def test_compiled_training_learns_and_checkpoints_the_plain_model(tmp_path, loaders):
    # backend "aot_eager" traces and runs forward and backward as torch.compile does, without
    # generating C++ (inductor takes about a minute here); fit wires it the same way
    model = tiny_model()
    history = fit(
        model, *loaders, 3, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path, compile={"backend": "aot_eager"}
    )
    assert history.train_loss[-1] < history.train_loss[0]
    assert isinstance(model, UNet)  # the caller's model is trained in place, not replaced
    state = torch.load(tmp_path / "best.pt", weights_only=True)
    assert list(state["model"]) == list(tiny_model().state_dict())  # no "_orig_mod." prefixes
    assert same_weights(load_model(tmp_path / "best.pt"), model)


def test_ctrl_c_in_a_callback_keeps_best_weights_and_history(loaders, capsys):
    snapshots = {}

    def interrupt(history):
        snapshots[history.epoch[-1]] = {k: v.clone() for k, v in model.state_dict().items()}
        if len(history) == 3:
            raise KeyboardInterrupt

    model = tiny_model()
    history = fit(model, *loaders, 10, 1e-2, "cpu", progress=False, on_epoch_end=interrupt)
    assert history.stopped == "interrupted" and history.epoch == [1, 2, 3]
    best = snapshots[history.best_epoch]
    assert all(torch.equal(v, best[k]) for k, v in model.state_dict().items())
    assert f"stopped by Ctrl-C after 3 epochs: keeping the best weights (epoch {history.best_epoch}" in (
        capsys.readouterr().out
    )


class InterruptedLoader:
    """Yields its batch in the first epoch; Ctrl-C arrives in the middle of the second.

    Passes are counted when they finish, since fit reads the first batch once before training.
    """

    def __init__(self, batch):
        self.batch, self.epochs = batch, 0

    def __len__(self):
        return 2

    def __iter__(self):
        yield self.batch
        if self.epochs == 1:
            raise KeyboardInterrupt
        yield self.batch
        self.epochs += 1


def test_ctrl_c_mid_epoch_restores_the_last_finished_best(batch):
    snapshot = {}
    model = tiny_model()
    keep = lambda history: snapshot.update({k: v.clone() for k, v in model.state_dict().items()})
    history = fit(model, InterruptedLoader(batch), [batch], 5, 1e-2, "cpu", progress=False, on_epoch_end=keep)
    assert history.stopped == "interrupted" and history.epoch == [1]
    assert all(torch.equal(v, snapshot[k]) for k, v in model.state_dict().items())


def test_bad_inputs_are_clear_errors(batch):
    images, mask = batch
    with pytest.raises(ValueError, match="num_epochs must be a whole number >= 1"):
        fit(tiny_model(), [batch], [batch], 0, device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"images \(B, C, H, W\) and mask \(B, 1, H, W\); got shapes \(1, 32, 32\)"):
        fit(tiny_model(), [(images[0], mask[0])], [batch], 1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="must yield \\(images, mask\\) pairs; it yielded a dict"):
        fit(tiny_model(), [{"image": images}], [batch], 1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="lr must be positive"):
        fit(tiny_model(), [batch], [batch], 1, lr=0, device="cpu", progress=False)


def test_predict_sizes_back_odd_sizes():
    model = tiny_model()
    images = torch.rand(2, 1, 30, 22)  # neither divides by 2**2
    masks = predict(model, images)
    assert masks.shape == (2, 1, 30, 22) and set(masks.unique().tolist()) <= {0.0, 1.0}
    probs = predict(model, images[0], threshold=None)
    assert probs.shape == (1, 30, 22) and 0 <= probs.min() and probs.max() <= 1
    assert torch.equal(predict(model, images[0], threshold=0.5), (probs > 0.5).float())
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        predict(model, images, threshold=2)
    with pytest.raises(ValueError, match=r"got shape \(30, 22\)"):
        predict(model, images[0, 0])


def test_choose_device_says_which(capsys):
    device = choose_device()
    said = capsys.readouterr().out
    assert device.type in {"cuda", "mps", "cpu"} and said.strip()
    if device.type == "cpu":
        assert said.startswith("No GPU found: using the CPU")


def test_history_summary_calls_the_score_a_validation_score(loaders):
    history = fit(tiny_model(), *loaders, 2, 1e-2, "cpu", progress=False)
    summary = history.summary()
    assert summary.startswith(f"Best epoch {history.best_epoch} of 2: validation Dice {history.best_val_dice:.3f}")
    assert "test" not in summary.split("(")[0] and "evaluate(model, test_loader)" in summary
    assert History().summary() == "No epoch finished."
    old = {k: v for k, v in history.to_dict().items() if k not in ("lr", "val_class_dice")}
    assert History.from_dict(old).lr == [None, None]  # a history saved before these columns still loads
