"""The source text's U-Net, written out plainly as the reference the package is tested against.

Fixed widths, the text's attribute names, x1..x5 in forward: the package's ``UNet`` must have
the same state dict (names, order, shapes) and give the same output on the same weights.
"""

import torch
from torch import nn


class TextDoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class TextDown(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.downsampling = nn.Sequential(
            nn.MaxPool2d(kernel_size=2, stride=2), TextDoubleConv(in_channels, out_channels)
        )

    def forward(self, x):
        return self.downsampling(x)


class TextUp(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.upsampling = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = TextDoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.upsampling(x1)
        return self.conv(torch.cat([x2, x1], dim=1))


class TextOutConv(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_classes, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class TextUNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=1):
        super().__init__()
        self.in_conv = TextDoubleConv(in_channels, 64)
        self.down1 = TextDown(64, 128)
        self.down2 = TextDown(128, 256)
        self.down3 = TextDown(256, 512)
        self.down4 = TextDown(512, 1024)
        self.up1 = TextUp(1024, 512)
        self.up2 = TextUp(512, 256)
        self.up3 = TextUp(256, 128)
        self.up4 = TextUp(128, 64)
        self.out_conv = TextOutConv(64, num_classes)

    def forward(self, x):
        x1 = self.in_conv(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        x = self.up1(x5, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.out_conv(x)
