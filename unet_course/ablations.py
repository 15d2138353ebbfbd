"""What the skip connections buy: the same U-Net whose skips carry zeros instead of the encoder's maps."""

import torch

from .model import UNet


class NoSkipUNet(UNet):
    """in_conv => down1..downN => up1..upN (each given zeros for its skip) => out_conv

    The same layers and parameter count as ``UNet`` (``Up`` still concatenates), but the
    decoder never sees the encoder's full-resolution maps: everything has to pass through
    the bottom of the U, at 1/2**depth of the size. Training both shows what the skips are for.
    """

    def skip_connection(self, skip):
        """Zeros of the skip's shape: the decoder gets none of the encoder's content."""
        return torch.zeros_like(skip)
