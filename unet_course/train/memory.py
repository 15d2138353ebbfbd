"""GPU training sized by the GPU's memory: the widest UNet and the largest batch that fit, with room to spare.

The estimate, measured on CPU and scaled (``tests/test_memory.py`` measures it again):
a training step keeps, per image, the activations autograd saves for the backward pass. For
this UNet every level saves a fixed number of feature maps whose channels grow 2x as the side
halves, so the saved values are proportional to ``base_channels * size * size``. Counting the
tensors autograd saves (``torch.autograd.graph.saved_tensors_hooks``, parameters excluded,
batch 3 minus batch 2) gives about 83 bytes per base channel per pixel in fp32 and 44 under
bf16/fp16 autocast (some tensors stay fp32), the same at widths 8 to 32 and sizes 64 to 128.
Full UNet, 256x256: 83 * 64 * 65,536 = 348 MB an image in fp32, 184 MB in mixed precision.

Budget: ``HEADROOM`` (1.5x) over the saved activations for gradients in flight, cuDNN
workspaces and the allocator's rounding; the model's state (weights, gradients, two Adam
moments: 16 bytes a parameter); ``RESERVED_BYTES`` for the CUDA context and libraries; and
only ``USABLE_FRACTION`` of the memory, so a notebook's other tensors still fit.
"""

import functools

import torch

SAVED_BYTES_PER_CHANNEL_PIXEL = {"fp32": 84, "mixed": 45}
HEADROOM = 1.5
RESERVED_BYTES = 1.5 * 2**30
USABLE_FRACTION = 0.8
STATE_BYTES_PER_PARAMETER = 16  # fp32 weights + gradients + Adam's two moments
WIDTHS = (64, 32, 16)  # the text's width first; narrower only where it cannot fit
BATCH_SIZES = (32, 16, 8, 4)
SIZE = 256


@functools.cache
def parameters_of(base_channels):
    """Parameters of the default 4-level UNet at ``base_channels``: 31,036,481 at 64 (the text's)."""
    from ..model import UNet, count_parameters

    with torch.device("meta"):  # shapes only: no memory, instant
        return count_parameters(UNet(base_channels=base_channels))


def step_bytes(base_channels, size, batch_size, precision="mixed"):
    """Estimated peak GPU bytes of one training step (model state, activations with headroom, reserve)."""
    if precision not in SAVED_BYTES_PER_CHANNEL_PIXEL:
        raise ValueError(f"precision must be one of {list(SAVED_BYTES_PER_CHANNEL_PIXEL)}, got {precision!r}.")
    activations = SAVED_BYTES_PER_CHANNEL_PIXEL[precision] * base_channels * size * size * batch_size
    state = STATE_BYTES_PER_PARAMETER * parameters_of(base_channels)
    return RESERVED_BYTES + state + HEADROOM * activations


def fits(total_memory_bytes, base_channels, size, batch_size, precision="mixed"):
    """Whether the estimate stays within ``USABLE_FRACTION`` of the GPU's memory."""
    return step_bytes(base_channels, size, batch_size, precision) <= USABLE_FRACTION * total_memory_bytes


def largest_batch(total_memory_bytes, base_channels, size, precision="mixed", batch_sizes=BATCH_SIZES):
    """The largest of ``batch_sizes`` that fits, or None."""
    return next((b for b in batch_sizes if fits(total_memory_bytes, base_channels, size, b, precision)), None)


def gpu_training_config(total_memory_bytes, precision="mixed"):
    """A training configuration for a GPU with ``total_memory_bytes`` (``get_device_properties(0).total_memory``).

    The widest of ``WIDTHS`` with a batch of at least 4 at 256x256, and the largest batch that fits;
    the same keys as ``training_config``'s, plus the estimate in bytes.
    """
    if not total_memory_bytes or total_memory_bytes <= 0:
        raise ValueError(f"total_memory_bytes must be the GPU's memory in bytes, got {total_memory_bytes!r}.")
    for width in WIDTHS:
        batch_size = largest_batch(total_memory_bytes, width, SIZE, precision)
        if batch_size is not None:
            return {
                "model": {"base_channels": width, "depth": 4},
                "size": SIZE,
                "num_train": 512,
                "num_val": 64,
                "batch_size": batch_size,
                "num_epochs": 10,
                "lr": 1e-3,
                "estimated_bytes": int(step_bytes(width, SIZE, batch_size, precision)),
            }
    gib = total_memory_bytes / 2**30
    raise ValueError(
        f"A GPU with {gib:.1f} GiB is too small for the course's GPU configuration (it needs about "
        f"{step_bytes(WIDTHS[-1], SIZE, BATCH_SIZES[-1], precision) / USABLE_FRACTION / 2**30:.1f} GiB): "
        "train on the CPU instead (device='cpu')."
    )
