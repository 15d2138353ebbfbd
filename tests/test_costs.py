import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from unet_course import UNet
from unet_course.costs import count_multiply_adds


def test_a_convolution_counted_by_hand():
    # 8 output channels x 10 x 10 positions, each a 3 x 3 window over 3 input channels: 8 * 100 * 27
    assert count_multiply_adds(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1)), (1, 3, 10, 10)).total == 21_600
    # stride 2 without padding: 4 x 4 output positions; batch 2 doubles it; groups divide the window
    assert count_multiply_adds(nn.Sequential(nn.Conv2d(4, 6, 3, stride=2)), (2, 4, 9, 9)).total == 2 * 6 * 16 * 36
    assert count_multiply_adds(nn.Sequential(nn.Conv2d(4, 6, 1, groups=2)), (1, 4, 5, 5)).total == 6 * 25 * 2


def test_a_transposed_convolution_counted_by_hand():
    # each of the 4 x 5 x 5 input values scatters a 2 x 2 kernel into each of 2 output channels
    model = nn.Sequential(nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2))
    assert count_multiply_adds(model, (1, 4, 5, 5)).total == 4 * 25 * 2 * 4
    # torchinfo's rule multiplies the parameters (32 weights + 2 biases) by the 10 x 10 output positions
    assert count_multiply_adds(model, (1, 4, 5, 5), convention="torchinfo").total == 34 * 100


def test_a_linear_layer_and_layers_without_weights():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.BatchNorm1d(5))
    costs = count_multiply_adds(model, (3, 3, 2, 2))
    assert costs.total == 3 * 12 * 5
    assert [r.multiply_adds for r in costs] == [0, 180, 0, 0]


def test_the_text_unet_matches_torchinfo_at_1x1x480x480():
    # torchinfo 1.8's "Total mult-adds (G): 191.75" for UNet() at (1, 1, 480, 480)
    assert count_multiply_adds(UNet(), (1, 1, 480, 480), convention="torchinfo").total == 191_750_181_376


def test_exact_counts_match_pytorchs_flop_counter():
    model = UNet(base_channels=8, num_classes=3)
    x = torch.zeros(2, 1, 64, 48)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(x)
    stages = count_multiply_adds(model, (2, 1, 64, 48), max_depth=1)
    assert 2 * stages.total == counter.get_total_flops()
    by_module = counter.get_flop_counts()
    for row in stages:
        assert 2 * row.multiply_adds == sum(by_module[f"UNet.{row.name}"].values())


def test_per_stage_figures_of_the_text_unet():
    stages = count_multiply_adds(UNet(), (1, 1, 480, 480), max_depth=1)
    assert stages.total == 169_073_049_600
    names = ["in_conv", "down1", "down2", "down3", "down4", "up1", "up2", "up3", "up4", "out_conv"]
    assert [r.name for r in stages] == names
    # every Down costs the same: half the size in each direction, twice the channels in and out
    assert len({stages.find(f"down{i}").multiply_adds for i in range(1, 5)}) == 1
    assert stages.find("out_conv").multiply_adds == 64 * 480 * 480
    assert sum(r.multiply_adds for r in stages) == stages.total


def test_containers_sum_their_children_and_the_table_prints():
    costs = count_multiply_adds(UNet(base_channels=4), (1, 1, 32, 32))
    up1 = costs.find("up1")
    assert up1.multiply_adds == costs.find("up1.upsampling").multiply_adds + costs.find("up1.conv").multiply_adds
    assert costs.at_depth(1).total == costs.total
    lines = str(costs.at_depth(1)).splitlines()
    assert lines[0].split() == ["module", "kind", "output", "params", "multiply-adds"]
    assert lines[-1].split() == ["total", f"{costs.total:,}"]


def test_mistakes_are_named():
    with pytest.raises(ValueError, match="convention='flops' is not supported"):
        count_multiply_adds(UNet(base_channels=4), (1, 1, 16, 16), convention="flops")
    with pytest.raises(KeyError, match="No module named 'up9'"):
        count_multiply_adds(UNet(base_channels=4), (1, 1, 16, 16)).find("up9")
