"""The U-Net assembled from the blocks: the text's model by default, and its variants.

``UNet()`` is the text's network: 1 input channel, 1 class, widths 64 -> 1024 over four
down steps, transposed-convolution up-sampling, same padding: 31,036,481 parameters.
``UNet.paper()`` is the original paper's: valid 3x3 convolutions with bias, no BatchNorm,
skips centre-cropped, 572 -> 388.
"""

from torch import nn

from .blocks import PADDINGS, UP_MODES, DoubleConv, Down, OutConv, Up
from .i18n import tr
from .inputs import check_input


def _check_choice(name, value, choices):
    """A ValueError naming the argument and the accepted values when ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ValueError(
            tr("{name}={value!r} is not supported: expected one of {choices}.", name=name, value=value, choices=choices)
        )


class UNet(nn.Module):
    """in_conv => down1..downN => up1..upN (each with its skip) => out_conv"""

    def __init__(
        self,
        in_channels=1,
        num_classes=1,
        base_channels=64,
        depth=4,
        up_mode="transpose",
        padding="same",
        batch_norm=True,
    ):
        super().__init__()
        _check_choice("up_mode", up_mode, UP_MODES)
        _check_choice("padding", padding, PADDINGS)
        for name, value in [
            ("in_channels", in_channels),
            ("num_classes", num_classes),
            ("base_channels", base_channels),
            ("depth", depth),
        ]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(tr("{name} must be a positive whole number, got {value!r}.", name=name, value=value))
        self.in_channels, self.num_classes, self.depth = in_channels, num_classes, depth
        self.up_mode, self.padding = up_mode, padding
        conv = {"padding": padding, "batch_norm": batch_norm}
        widths = [base_channels * 2**level for level in range(depth + 1)]  # 64, 128, ..., 1024
        # bilinear up-sampling keeps the channels, so the bottom and each Up output are halved
        factor = 2 if up_mode == "bilinear" else 1

        self.in_conv = DoubleConv(in_channels, widths[0], **conv)
        for level in range(1, depth + 1):
            out_channels = widths[level] // (factor if level == depth else 1)
            setattr(self, f"down{level}", Down(widths[level - 1], out_channels, **conv))
        for step, level in enumerate(range(depth, 0, -1), start=1):
            out_channels = widths[level - 1] // (factor if level > 1 else 1)
            setattr(self, f"up{step}", Up(widths[level], out_channels, up_mode, **conv))
        self.out_conv = OutConv(widths[0], num_classes)

    @classmethod
    def paper(cls, in_channels=1, num_classes=2):
        """The 2015 paper's network: valid convolutions with bias, no BatchNorm, cropped skips."""
        return cls(in_channels, num_classes, padding="valid", batch_norm=False)

    @property
    def downs(self):
        return [getattr(self, f"down{level}") for level in range(1, self.depth + 1)]

    @property
    def ups(self):
        return [getattr(self, f"up{step}") for step in range(1, self.depth + 1)]

    def skip_connection(self, skip):
        """What the decoder receives from the encoder at one level: the encoder's map itself.

        The one hook a variant overrides (``ablations.NoSkipUNet`` passes zeros instead).
        """
        return skip

    def forward(self, x):
        """The U as the text writes it at depth 4; other depths run the same steps in a loop."""
        check_input(x, self.in_channels, self.depth, self.padding, weights=self.out_conv.conv.weight.dtype)
        if self.depth != 4:
            return self._forward_any_depth(x)
        x1 = self.in_conv(x)  # (B, 64, H, W)
        x2 = self.down1(x1)  # (B, 128, H/2, W/2)
        x3 = self.down2(x2)  # (B, 256, H/4, W/4)
        x4 = self.down3(x3)  # (B, 512, H/8, W/8)
        x5 = self.down4(x4)  # (B, 1024, H/16, W/16): the bottom of the U
        x = self.up1(x5, self.skip_connection(x4))  # (B, 512, H/8, W/8)
        x = self.up2(x, self.skip_connection(x3))  # (B, 256, H/4, W/4)
        x = self.up3(x, self.skip_connection(x2))  # (B, 128, H/2, W/2)
        x = self.up4(x, self.skip_connection(x1))  # (B, 64, H, W)
        return self.out_conv(x)  # logits: (B, num_classes, H, W)

    def _forward_any_depth(self, x):
        """The same U for any depth: x1 .. x(depth+1) kept in a list, each up-step takes the deepest one left."""
        encoder = [self.in_conv(x)]  # x1
        for down in self.downs:  # x2 .. x(depth+1): half the size, twice the channels each time
            encoder.append(down(encoder[-1]))
        x = encoder.pop()  # the bottom of the U
        for up in self.ups:  # up1 takes x(depth), ..., the last up takes x1
            x = up(x, self.skip_connection(encoder.pop()))
        return self.out_conv(x)  # logits: (B, num_classes, H, W)


def count_parameters(model):
    """Number of trainable numbers in ``model`` (the text's ``sum(x.numel() ...)``)."""
    return sum(p.numel() for p in model.parameters())
