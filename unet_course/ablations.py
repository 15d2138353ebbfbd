"""What the skip connections buy: the same U-Net whose skips carry zeros instead of the encoder's maps."""

import torch

from .inputs import check_input
from .model import UNet


class NoSkipUNet(UNet):
    """in_conv => down1..downN => up1..upN (each given zeros for its skip) => out_conv

    The same layers and parameter count as ``UNet`` (``Up`` still concatenates), but the
    decoder never sees the encoder's full-resolution maps: everything has to pass through
    the bottom of the U, at 1/2**depth of the size. Training both shows what the skips are for.
    """

    def forward(self, x):
        check_input(x, self.in_channels, self.depth, self.padding)
        x = self.in_conv(x)  # (B, C, H, W)
        skips = []
        for down in self.downs:
            skips.append(x)
            x = down(x)
        for up in self.ups:
            x = up(x, torch.zeros_like(skips.pop()))  # the skip's shape, none of its content
        return self.out_conv(x)  # logits: (B, num_classes, H, W)
