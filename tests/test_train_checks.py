"""Bad data and bad arguments are refused before training starts; a NaN loss stops with the last good state."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from unet_course.data import SyntheticCells
from unet_course.inputs import PadToFit
from unet_course.model import UNet
from unet_course.train import TrainingDiverged, fit
from unet_course.train.checkpoint import read_checkpoint
from unet_course.train.checks import check_loader
from unet_course.train.rng import rng_state

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one thread (conftest.py)


@pytest.fixture(scope="module")
def batch():
    cells = SyntheticCells(4, size=16, seed=2)
    images, mask = zip(*(cells[i] for i in range(4)))
    return torch.stack(images), torch.stack(mask)


def tiny_model(**kwargs):
    torch.manual_seed(0)
    return UNet(base_channels=4, depth=2, **kwargs)


def refused(model, train, val, match, error=ValueError, **kwargs):
    """fit refuses with ``match``, and the weights were never touched."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(error, match=match):
        fit(model, train, val, 2, 1e-2, "cpu", progress=False, **kwargs)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_nan_and_inf_pixels(batch):
    images, mask = batch
    bad = images.clone()
    bad[0, 0, 3, 3], bad[1, 0, 0, 0] = float("nan"), float("inf")
    refused(tiny_model(), [(bad, mask)], [batch], r"the training loader yields images with 2 NaN or infinite pixel")
    refused(tiny_model(), [batch], [(bad, mask)], r"the validation loader yields images with 2 NaN")


def test_unscaled_uint8_images(batch):
    images, mask = batch
    raw = (images * 255).to(torch.uint8)
    refused(tiny_model(), [(raw, mask)], [batch], r"yields torch.uint8 images .*images.float\(\) / 255", TypeError)


def test_binary_masks_outside_0_1(batch):
    images, mask = batch
    refused(tiny_model(), [(images, mask * 255)], [batch], r"values \{0, 255\}.*looks like 0/255: use \(mask > 0\)")
    refused(tiny_model(), [batch], [(images, mask * 0.5)], r"values \{0, 0.5\}.*binarise it")


def test_class_masks_outside_the_classes(batch):
    images, mask = batch
    labels = mask[:, 0].long() * 3  # values 0 and 3 for a 3-class model
    refused(
        tiny_model(num_classes=3),
        [(images, labels)],
        [(images, labels)],
        r"class masks with values \{0, 3\}, outside 0..2 for num_classes=3: build UNet\(num_classes=4\)",
    )


def test_empty_loaders(batch):
    refused(tiny_model(), [], [batch], "the training loader is empty: give it at least one batch")
    empty = DataLoader(TensorDataset(torch.zeros(0, 1, 16, 16), torch.zeros(0, 1, 16, 16)), batch_size=2)
    refused(tiny_model(), [batch], empty, "the validation loader is empty")


def test_validation_size_the_model_cannot_take(batch):
    images, mask = batch
    odd = (images[..., :14, :14], mask[..., :14, :14])
    refused(
        tiny_model(), [batch], [odd], r"yields 14x14 images, which a UNet of depth 2 cannot take .*PadToFit\(model\)"
    )
    history = fit(PadToFit(tiny_model()), [batch], [odd], 1, 1e-2, "cpu", progress=False)  # the fix works
    assert history.epoch == [1]


def test_channels_and_valid_padding_models(batch):
    images, mask = batch
    rgb = (images.repeat(1, 3, 1, 1), mask)
    refused(tiny_model(), [rgb], [rgb], r"3 channels, but the model takes in_channels=1: build UNet\(in_channels=3\)")
    refused(tiny_model(padding="valid"), [batch], [batch], r"fit trains padding='same' models.*UNet\(padding='same'\)")


def test_checkpoint_dir_that_is_a_file(batch, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("mine")
    refused(
        tiny_model(),
        [batch],
        [batch],
        "checkpoint_dir .*notes.txt' is an existing file",
        NotADirectoryError,
        checkpoint_dir=path,
    )
    assert path.read_text() == "mine"


def test_reading_the_first_batch_moves_no_random_state(batch):
    loader = DataLoader(TensorDataset(*batch), batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(0))
    before = rng_state(loader)
    check_loader(loader, tiny_model(), "the training loader")
    after = rng_state(loader)
    assert torch.equal(before["loader"][0], after["loader"][0]) and torch.equal(before["torch"], after["torch"])
    iterations = iter(loader)  # and it does move when the loader is really read, so the check above can fail
    next(iterations)
    assert not torch.equal(before["loader"][0], rng_state(loader)["loader"][0])


class TurnsNaN:
    """Good batches for the first check and epoch 1, then images with a NaN pixel."""

    def __init__(self, batch):
        self.batch, self.passes = batch, 0

    def __len__(self):
        return 1

    def __iter__(self):
        self.passes += 1
        images, mask = self.batch
        if self.passes > 2:
            images = images.clone()
            images[0, 0, 0, 0] = float("nan")
        yield images, mask


def test_a_nan_loss_stops_and_keeps_the_last_good_epoch(batch, tmp_path):
    model = tiny_model()
    with pytest.raises(TrainingDiverged, match="Training stopped in epoch 2: the loss is no longer a number") as error:
        fit(model, TurnsNaN(batch), [batch], 5, 1e-2, "cpu", progress=False, checkpoint_dir=tmp_path)
    assert "The model keeps the best weights (epoch 1, validation Dice" in str(error.value)
    assert f"no checkpoint was written for epoch 2, so {tmp_path} holds the last good epoch" in str(error.value)
    assert error.value.history.epoch == [1]
    assert read_checkpoint(tmp_path / "last.pt")["epoch"] == 1
    saved = read_checkpoint(tmp_path / "best.pt")["model"]
    assert all(torch.isfinite(p).all() for p in model.parameters())  # not the NaN weights
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())
