"""Multi-class end to end: class masks, CE + Dice, per-class Dice in evaluate and the history, argmax in predict."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from unet_course.data import SyntheticCells
from unet_course.metrics import CEDiceLoss
from unet_course.model import UNet
from unet_course.train import evaluate, fit, predict

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one thread (conftest.py)


@pytest.fixture(scope="module")
def classes():
    """Synthetic cells as 3 classes, the classic way for touching nuclei: background 0, interior 1, boundary 2."""
    cells = SyntheticCells(4, size=32, seed=3)
    images, mask = (torch.stack(items) for items in zip(*(cells[i] for i in range(4))))
    interior = -F.max_pool2d(-mask, 3, stride=1, padding=1)  # erosion by a 3x3 square
    labels = (mask + (mask - interior))[:, 0].long()  # interior 1, the ring of boundary pixels 2
    assert set(labels.unique().tolist()) == {0, 1, 2}
    return images, labels


def tiny_model(num_classes=3):
    torch.manual_seed(0)
    return UNet(base_channels=8, depth=2, num_classes=num_classes)


def test_ce_dice_loss_by_hand():
    logits, mask = torch.zeros(1, 2, 1, 2), torch.tensor([[[0, 1]]])
    # CE of p = 1/2 is ln 2; each class: (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3, so the Dice term is 1/3
    assert CEDiceLoss()(logits, mask).item() == pytest.approx(math.log(2) + 1 / 3)
    assert CEDiceLoss()(logits, mask[:, None]).item() == pytest.approx(math.log(2) + 1 / 3)  # (B, 1, H, W) too
    # a class absent from the batch adds no Dice term: only class 0 here, (2 * 1 + 1) / (1 + 2 + 1)
    assert CEDiceLoss(ce_weight=0)(logits, torch.zeros(1, 1, 2, dtype=torch.long)).item() == pytest.approx(1 - 3 / 4)
    with pytest.raises(TypeError, match="mask must hold class indices"):
        CEDiceLoss()(logits, torch.zeros(1, 1, 2))


def test_fit_learns_three_classes_and_records_per_class_dice(classes):
    images, labels = classes
    loader = DataLoader(TensorDataset(images, labels), batch_size=2)
    model = tiny_model()
    history = fit(model, loader, loader, 60, 1e-2, "cpu", progress=False, target_dice=0.75)
    assert history.stopped == "target" and history.train_loss[-1] < history.train_loss[0] / 2
    assert all(len(row) == 3 for row in history.val_class_dice)
    metrics = evaluate(model, loader, "cpu")
    assert set(metrics) == {"loss", "dice", "num_images", "class_dice"} and metrics["num_images"] == 4
    assert metrics["dice"] == pytest.approx(sum(metrics["class_dice"][1:]) / 2)  # mean over the foreground classes
    assert metrics["class_dice"] == pytest.approx(history.val_class_dice[history.best_epoch - 1], abs=1e-6)
    maps = predict(model, images)
    assert maps.shape == (4, 32, 32) and maps.dtype == torch.int64 and set(maps.unique().tolist()) <= {0, 1, 2}
    probs = predict(model, images[0], threshold=None)
    assert probs.shape == (3, 32, 32) and torch.allclose(probs.sum(0), torch.ones(32, 32))
    assert torch.equal(probs.argmax(0), maps[0])


def test_class_masks_as_b_1_h_w_train_too(classes):
    images, labels = classes
    history = fit(tiny_model(), [(images, labels[:, None])], [(images, labels)], 1, 1e-2, "cpu", progress=False)
    assert history.epoch == [1] and len(history.val_class_dice[0]) == 3


def test_predict_refuses_valid_padding_models():
    model = UNet.paper()
    with pytest.raises(ValueError, match=r"padding='valid' model .*a 188x188 image gives 4x4.*overlap-tile"):
        predict(model, torch.rand(1, 1, 188, 188))
