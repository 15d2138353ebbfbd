"""``predict``: masks (or probabilities) for images of any size, sized back to the input."""

import torch

from ..inputs import PadToFit, fits
from .checkpoint import unwrap


def _as_batch(images):
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(images)
    if not images.is_floating_point():
        raise TypeError(f"predict expects float images (0..1), got dtype {images.dtype}: convert with .float() / 255.")
    if images.dim() not in (3, 4):
        raise ValueError(
            f"predict expects images (B, C, H, W) or one image (C, H, W), got shape {tuple(images.shape)}."
        )
    return images, images.dim() == 3


@torch.no_grad()
def predict(model, images, threshold=0.5, device=None, batch_size=8):
    """sigmoid(model(images)) > threshold as a float 0/1 mask the size of ``images``.

    ``images`` is (B, C, H, W) or one (C, H, W) image; the result has the same shape with
    ``num_classes`` channels, on the CPU. Sizes the U cannot take (not divisible by 2**depth)
    are padded to fit and cropped back. ``threshold=None`` returns the probabilities.
    """
    if threshold is not None and not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be between 0 and 1 (or None for probabilities), got {threshold!r}.")
    images, single = _as_batch(images)
    if single:
        images = images.unsqueeze(0)
    plain = unwrap(model)
    device = torch.device(device) if device is not None else next(plain.parameters()).device
    depth, padding = getattr(plain, "depth", 0), getattr(plain, "padding", "same")
    sizes_fit = all(fits(size, depth, padding) for size in images.shape[-2:])
    net = model if sizes_fit else PadToFit(model)
    was_training = plain.training
    plain.eval()
    try:
        probs = torch.cat([torch.sigmoid(net(chunk.to(device)).float()).cpu() for chunk in images.split(batch_size)])
    finally:
        plain.train(was_training)
    result = probs if threshold is None else (probs > threshold).float()
    return result[0] if single else result
