"""``predict``: masks (binary) or class maps (multi-class) for images of any size, sized back to the input."""

import torch

from ..i18n import tr
from ..inputs import PadToFit, fits
from .checkpoint import unwrap


def _as_batch(images):
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(images)
    if not images.is_floating_point():
        raise TypeError(
            tr(
                "predict expects float images (0..1), got dtype {dtype}: convert with .float() / 255.",
                dtype=images.dtype,
            )
        )
    if images.dim() not in (3, 4):
        raise ValueError(
            tr(
                "predict expects images (B, C, H, W) or one image (C, H, W), got shape {shape}.",
                shape=tuple(images.shape),
            )
        )
    return images, images.dim() == 3


def _check_padding(plain):
    if getattr(plain, "padding", "same") == "valid":
        raise ValueError(
            tr(
                "predict cannot size back a padding='valid' model (the paper's): its output is smaller than its "
                "input (a 188x188 image gives 4x4), so it needs overlap-tile prediction, which the course does not "
                "do. Build UNet(padding='same') for prediction, or mirror-pad each tile as in the paper's Fig. 2."
            )
        )


def _to_result(logits, threshold, num_classes):
    """Probabilities (threshold None), a 0/1 float mask (one class) or a class map (B, H, W) int64."""
    if num_classes == 1:
        probs = torch.sigmoid(logits)
        return probs if threshold is None else (probs > threshold).float()
    probs = torch.softmax(logits, 1)
    return probs if threshold is None else probs.argmax(1)


@torch.no_grad()
def predict(model, images, threshold=0.5, device=None, batch_size=8):
    """Binary: sigmoid(model(images)) > threshold as a float 0/1 mask; multi-class: argmax of softmax.

    ``images`` is (B, C, H, W) or one (C, H, W) image. One class: a mask (B, 1, H, W); more:
    a class map (B, H, W) of int64 labels 0..num_classes-1 (the threshold is not used, but
    ``threshold=None`` returns the probabilities (B, num_classes, H, W) either way). Results are
    on the CPU, without the batch dimension for one image. Sizes the U cannot take (not
    divisible by 2**depth) are padded to fit and cropped back; valid-padding models are refused.
    """
    if threshold is not None and not 0 <= threshold <= 1:
        raise ValueError(
            tr("threshold must be between 0 and 1 (or None for probabilities), got {threshold!r}.", threshold=threshold)
        )
    images, single = _as_batch(images)
    if single:
        images = images.unsqueeze(0)
    plain = unwrap(model)
    _check_padding(plain)
    device = torch.device(device) if device is not None else next(plain.parameters()).device
    depth, num_classes = getattr(plain, "depth", 0), getattr(plain, "num_classes", 1)
    net = model if all(fits(size, depth) for size in images.shape[-2:]) else PadToFit(model)
    was_training = plain.training
    plain.eval()
    try:
        logits = [net(chunk.to(device)).float().cpu() for chunk in images.split(batch_size)]
    finally:
        plain.train(was_training)
    result = _to_result(torch.cat(logits), threshold, num_classes)
    return result[0] if single else result
