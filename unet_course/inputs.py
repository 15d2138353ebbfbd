"""What the U can take: input checks with messages that say what to fix, and pad-to-fit."""

import torch
import torch.nn.functional as F
from torch import nn

from .arithmetic import conv_output_size, conv_transpose_output_size, pool_output_size
from .i18n import tr


def _same_sizes(size, depth):
    """Sizes on the way down with same padding: 481 -> 240 -> 120 -> 60 -> 30."""
    sizes = [size]
    for _ in range(depth):
        sizes.append(sizes[-1] // 2)
    return sizes


def _valid_double_conv(size):
    """Two 3x3 convolutions without padding: 4 pixels fewer (ValueError if nothing is left)."""
    return conv_output_size(conv_output_size(size, 3), 3)


def valid_output_size(size, depth=4):
    """Output size of the paper's valid-padding U-Net for ``size``, or None if the U cannot take it."""
    try:
        size = _valid_double_conv(size)  # in_conv
        for _ in range(depth):
            if size % 2:  # max-pooling an odd size drops a row the skip still has
                return None
            size = _valid_double_conv(pool_output_size(size, 2))
        for _ in range(depth):
            size = _valid_double_conv(conv_transpose_output_size(size, 2, stride=2))
    except ValueError:  # a size reached 0 or less on the way
        return None
    return size


def fits(size, depth=4, padding="same"):
    """True if a height or width of ``size`` passes through the U and back."""
    if padding == "valid":
        return valid_output_size(size, depth) is not None
    return size > 0 and size % 2**depth == 0


def nearest_valid_sizes(size, depth=4, padding="same"):
    """The closest sizes below and above ``size`` that fit (below is None if there is none)."""
    below = next((s for s in range(size - 1, 0, -1) if fits(s, depth, padding)), None)
    above = next(s for s in range(size + 1, size + 2**depth * 64) if fits(s, depth, padding))
    return below, above


def _nearest(size, depth, padding):
    """'Nearest sizes that fit: 480 or 496.' (or only the size above, when none is below)."""
    below, above = nearest_valid_sizes(size, depth, padding)
    if below:
        return tr("Nearest sizes that fit: {below} or {above}.", below=below, above=above)
    return tr("Nearest sizes that fit: {above}.", above=above)


def _size_message(axis, size, depth, padding):
    nearest = _nearest(size, depth, padding)
    if padding == "valid":
        return tr(
            "UNet cannot take an input of {axis} {size}: with valid convolutions every map must have an even "
            "size before each max-pool and stay positive, and {size} does not. {nearest} Resize or crop the "
            "image, or wrap the model as PadToFit(model) to pad and crop back.",
            axis=axis,
            size=size,
            nearest=nearest,
        )
    sizes = _same_sizes(size, depth)
    level = next(i for i, s in enumerate(sizes) if s % 2)
    return tr(
        "UNet cannot take an input of {axis} {size}: it is not divisible by 2**{depth} = {factor}: max-pooling "
        "floors {chain}, and on the way back {small} doubles to {double}, which cannot be concatenated with the "
        "skip of size {skip} in {up}. {nearest} Resize or crop the image, or wrap the model as PadToFit(model) "
        "to pad and crop back.",
        axis=axis,
        size=size,
        depth=depth,
        factor=2**depth,
        chain=" -> ".join(map(str, sizes[: level + 2])),
        small=sizes[level + 1],
        double=2 * sizes[level + 1],
        skip=sizes[level],
        up=f"up{depth - level}",
        nearest=nearest,
    )


def _autocast(device_type):
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # a PyTorch before 2.4 knows CUDA's autocast only
        return torch.is_autocast_enabled()
    except RuntimeError:  # a device autocast has no notion of, such as meta
        return False


def check_input(x, in_channels, depth, padding="same", weights=None):
    """Raise a ValueError/TypeError naming the problem before any computation is done.

    ``weights``: the model's parameter dtype; an input of another floating dtype is refused, unless
    autocast (mixed precision) is on and the input is half or single precision, which it casts.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            tr(
                "UNet expects a torch.Tensor of shape (B, C, H, W), got {kind}. "
                "Convert it with torch.as_tensor(x, dtype=torch.float32).",
                kind=type(x).__name__,
            )
        )
    if x.dim() == 3:
        raise ValueError(
            tr(
                "UNet expects a batch (B, C, H, W), got one image of shape {shape}: "
                "the batch dimension is missing. Add it with x.unsqueeze(0).",
                shape=tuple(x.shape),
            )
        )
    if x.dim() != 4:
        raise ValueError(
            tr(
                "UNet expects a 4-D tensor (B, C, H, W), got shape {shape} ({dims}-D). "
                "Reshape it to (batch, {in_channels}, height, width).",
                shape=tuple(x.shape),
                dims=x.dim(),
                in_channels=in_channels,
            )
        )
    if not x.is_floating_point():
        raise TypeError(
            tr(
                "UNet expects floating-point input, got dtype {dtype}. "
                "Convert it with x.float() (and scale 8-bit images to 0..1 with / 255).",
                dtype=x.dtype,
            )
        )
    mixed = _autocast(x.device.type) and x.dtype != torch.float64  # autocast casts half and single, not double
    if weights is not None and x.dtype != weights and not mixed:
        raise TypeError(
            tr(
                "UNet's weights are {weights} but the input is {dtype}: convert the input with x.to({weights}) "
                "(a NumPy array becomes float64: use torch.from_numpy(array).float()).",
                weights=weights,
                dtype=x.dtype,
            )
        )
    if x.shape[1] > in_channels:
        raise ValueError(
            tr(
                "UNet was built for in_channels={in_channels} but the input has {got} channels (shape {shape}). "
                "Build UNet(in_channels={got}) or convert the images (e.g. to grayscale).",
                in_channels=in_channels,
                got=x.shape[1],
                shape=tuple(x.shape),
            )
        )
    if x.shape[1] < in_channels:
        raise ValueError(
            tr(
                "UNet was built for in_channels={in_channels} but the input has {got} channels (shape {shape}). "
                "Build UNet(in_channels={got}), or give the images {in_channels} channels.",
                in_channels=in_channels,
                got=x.shape[1],
                shape=tuple(x.shape),
            )
        )
    for axis, size in [("height", x.shape[2]), ("width", x.shape[3])]:
        if not fits(size, depth, padding):
            raise ValueError(_size_message(axis, size, depth, padding))


class PadToFit(nn.Module):
    """Pad the input up to the next size the U takes, run the model, crop the logits back.

    Only for same-padding models, whose output is as large as their input.
    """

    def __init__(self, model, mode="reflect"):
        super().__init__()
        if getattr(model, "padding", "same") != "same":
            raise ValueError(tr("PadToFit works only for padding='same' models, whose output size equals the input's."))
        self.model, self.mode = model, mode

    def forward(self, x):
        height, width = x.shape[-2:]
        multiple = 2**self.model.depth
        pad_h, pad_w = -height % multiple, -width % multiple
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=self.mode)
        return self.model(x)[..., :height, :width]
