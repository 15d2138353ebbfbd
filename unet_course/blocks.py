"""The four building blocks of the U-Net, as the source text builds them.

Defaults reproduce the text exactly (same layers, same order, same state-dict names).
The extra arguments exist for the variants the course compares against:
``padding="valid"`` and ``batch_norm=False`` give the original paper's blocks,
``mode="bilinear"`` gives an up-sampling path without learned up-convolution.
"""

import torch
from torch import nn

PADDINGS = ("same", "valid")
UP_MODES = ("transpose", "bilinear")


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported: expected one of {allowed}.")


class DoubleConv(nn.Module):
    """(conv 3x3 => BN => ReLU) x 2

    The convolutions carry no bias because BatchNorm follows and its shift absorbs one.
    With ``batch_norm=False`` (the paper) each convolution gets its bias back.
    """

    def __init__(self, in_channels, out_channels, mid_channels=None, padding="same", batch_norm=True):
        super().__init__()
        _choice("padding", padding, PADDINGS)
        mid_channels = mid_channels or out_channels
        pad = 1 if padding == "same" else 0
        layers = []
        for c_in, c_out in [(in_channels, mid_channels), (mid_channels, out_channels)]:
            layers.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=pad, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.ReLU(inplace=True))
        self.double_conv = nn.Sequential(*layers)

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    """max-pool 2x2 (stride 2) => DoubleConv: half the size, new channel count"""

    def __init__(self, in_channels, out_channels, **conv_options):
        super().__init__()
        self.downsampling = nn.Sequential(
            nn.MaxPool2d(kernel_size=2, stride=2),
            DoubleConv(in_channels, out_channels, **conv_options),
        )

    def forward(self, x):
        return self.downsampling(x)


def center_crop(skip, size):
    """Cut the centre (H, W) = ``size`` out of ``skip`` (B, C, H', W'), as the paper crops its skips."""
    height, width = skip.shape[-2:]
    top, left = (height - size[0]) // 2, (width - size[1]) // 2
    return skip[..., top : top + size[0], left : left + size[1]]


class Up(nn.Module):
    """up-sample x2 => concatenate [skip, x] on channels => DoubleConv

    Not a ``Sequential``: ``forward`` takes two inputs, the path from below (``x``) and
    the encoder's map at the same level (``skip``). The text's prose says they are "added";
    the code concatenates them, which is why ``in_channels`` counts both.
    """

    def __init__(self, in_channels, out_channels, mode="transpose", padding="same", batch_norm=True):
        super().__init__()
        _choice("mode", mode, UP_MODES)
        if mode == "transpose":
            # half as many kernels halves the channels; kernel 2, stride 2 doubles the size
            self.upsampling = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            mid_channels = None
        else:
            self.upsampling = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            mid_channels = in_channels // 2
        self.conv = DoubleConv(in_channels, out_channels, mid_channels, padding, batch_norm)
        self.crop_skip = padding == "valid"  # valid convolutions shrink the path: crop the skip to fit

    def forward(self, x, skip):
        x = self.upsampling(x)  # (B, C, 2H, 2W)
        if self.crop_skip:
            skip = center_crop(skip, x.shape[-2:])
        elif skip.shape[-2:] != x.shape[-2:]:
            raise ValueError(
                f"Up: the up-sampled map is {tuple(x.shape[-2:])} but the skip is {tuple(skip.shape[-2:])}; "
                "they must match to be concatenated. Use an input whose height and width divide by 2**depth."
            )
        x = torch.cat([skip, x], dim=1)  # dim 0 is the batch, dim 1 the channels
        return self.conv(x)


class OutConv(nn.Module):
    """conv 1x1: one logit per class and pixel (no sigmoid: the loss takes logits)"""

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)

    def forward(self, x):
        return self.conv(x)
