"""The no-skip U-Net: the same layers and parameters as the UNet, with zeros in place of the skips."""

import torch

from unet_course.ablations import NoSkipUNet
from unet_course.model import UNet, count_parameters


def test_same_parameters_and_shapes_as_the_unet():
    assert count_parameters(NoSkipUNet(base_channels=4, depth=2)) == count_parameters(UNet(base_channels=4, depth=2))
    assert NoSkipUNet(base_channels=4, depth=2)(torch.rand(2, 1, 16, 16)).shape == (2, 1, 16, 16)


def test_the_decoder_sees_no_skip():
    torch.manual_seed(0)
    unet = UNet(base_channels=4, depth=2).eval()
    no_skip = NoSkipUNet(base_channels=4, depth=2).eval()
    no_skip.load_state_dict(unet.state_dict())
    for up in unet.ups:  # zero the weights that read the skip half of each concatenation
        skip_channels = up.conv.double_conv[0].in_channels - up.upsampling.out_channels
        up.conv.double_conv[0].weight.data[:, :skip_channels] = 0
    x = torch.rand(1, 1, 16, 16)
    assert torch.allclose(unet(x), no_skip(x), atol=1e-6)


def test_at_the_texts_depth_the_skips_are_zeros_and_the_parameters_are_the_unets():
    torch.manual_seed(0)
    unet, no_skip = UNet(base_channels=2).eval(), NoSkipUNet(base_channels=2).eval()
    no_skip.load_state_dict(unet.state_dict())  # same keys: load_state_dict is strict
    x = torch.rand(1, 1, 16, 16)
    assert not torch.allclose(unet(x), no_skip(x))
    assert torch.equal(no_skip.skip_connection(torch.ones(1, 2, 3, 3)), torch.zeros(1, 2, 3, 3))
