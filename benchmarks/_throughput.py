"""The GPU benchmark's arithmetic: interleaved timing, training FLOPs, model FLOP utilisation (MFU).

Interleaving: every path is warmed up by the same number of steps first; then each round times
every path once, the order rotated by one each round, so that no path always runs first (on a
cold clock) or last (on a hot GPU). A path's figure is its median round.

MFU = achieved FLOP/s / the GPU's dense bf16 tensor-core peak, where a training step costs
about 3x the forward pass (the backward pass computes gradients for inputs and weights: 2x)
and the forward pass 2 FLOPs per multiply-add (``unet_course.costs``). The same peak is used for
every path, so the fp32 paths' MFU says how much of the GPU's bf16 capacity they leave unused.
"""

import statistics

from unet_course.costs import count_multiply_adds

# Dense (no sparsity) bf16 tensor-core peaks in TFLOP/s from the vendors' data sheets; fp16 for
# GPUs without bf16 (T4, V100). Matched in order against the device name: specific names first.
PEAK_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100", 989.0),  # SXM
    ("H200", 989.0),
    ("GH200", 989.0),
    ("A100", 312.0),
    ("L40S", 362.0),
    ("L4", 121.0),
    ("A10G", 70.0),
    ("V100", 125.0),  # fp16
    ("T4", 65.0),  # fp16
)


def peak_tflops(device_name):
    """The dense bf16 (fp16 on T4/V100) peak of the GPU named ``device_name``; None if not in the table."""
    if not device_name:
        return None
    return next((peak for name, peak in PEAK_TFLOPS if name.lower() in device_name.lower()), None)


def training_flops_per_image(model, size, in_channels=1):
    """FLOPs of one training step per image: 3 forward passes' worth, 2 FLOPs a multiply-add."""
    return 3 * 2 * count_multiply_adds(model, (1, in_channels, size, size)).total


def mfu(images_per_s, flops_per_image, peak):
    """Achieved FLOP/s over ``peak`` TFLOP/s, as a fraction; None when the peak is unknown."""
    if peak is None:
        return None
    return images_per_s * flops_per_image / (peak * 1e12)


def warm_up(paths, steps):
    """Run every path's ``step`` the same number of times, untimed, in the order given."""
    for step in paths.values():
        for _ in range(steps):
            step()


def interleaved(paths, rounds, steps, clock):
    """Seconds for ``steps`` steps of each path, ``rounds`` times, the order rotated each round.

    ``paths`` maps a name to a ``step()`` callable; ``clock(fn)`` returns the seconds ``fn()`` took
    (on a GPU it synchronises before and after). Returns ``{name: [seconds per round]}`` and the
    order each round ran in.
    """
    names = list(paths)
    seconds, orders = {name: [] for name in names}, []
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        orders.append(order)
        for name in order:
            step = paths[name]
            seconds[name].append(clock(lambda step=step: [step() for _ in range(steps)]))
    return seconds, orders


def images_per_second(round_seconds, steps, batch_size):
    """Images a second in the median round."""
    return steps * batch_size / statistics.median(round_seconds)
