"""Where training runs and how: the device, its precision, its memory layout and, on a CPU, its threads.

Data flow: ``choose_device()`` -> ``device``; then ``fit`` asks ``amp_dtype(device, amp)``,
``use_channels_last(device, channels_last)``, ``use_cudnn_benchmark(device)`` and
``use_pin_memory(device)``, and prints ``describe_precision(device)`` when training starts.
Memory-sized configurations for GPUs are in ``memory.py``; CPU threads in ``threads.py``.
"""

import torch

from ..i18n import tr
from .threads import busy_elsewhere, cpu_quota, cpu_threads  # noqa: F401  (re-exported: the device's choices)

BF16_CAPABILITY = (8, 0)  # Ampere: the first GPUs with bf16 tensor cores and cuDNN bf16 convolutions


def choose_device(verbose=True):
    """The fastest device here (CUDA, then Apple MPS, then CPU), with a sentence saying which.

    On the CPU, PyTorch's thread count is lowered to the CPU time really available
    (see ``cpu_threads``: the cores, the container's quota, what other busy processes take).
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        sentence = tr(
            "Using the GPU ({name}): {precision}.",
            name=torch.cuda.get_device_name(0),
            precision=_precision_words(device, True),
        )
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        sentence = tr("Using the Apple GPU (MPS): training runs in full precision (fp32).")
    else:
        device = torch.device("cpu")
        torch.set_num_threads(min(torch.get_num_threads(), cpu_threads()))
        sentence = tr("No GPU found: using the CPU, with a smaller configuration so that training takes seconds.")
    if verbose:
        print(sentence)
    return device


def as_device(device):
    """``device`` as a ``torch.device``; None chooses one quietly."""
    if device is None:
        return choose_device(verbose=False)
    return torch.device(device)


def cuda_capability(device):
    """The compute capability ``(major, minor)`` of a CUDA ``device``, e.g. (7, 5) for a T4."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    return tuple(torch.cuda.get_device_capability(index))


def amp_dtype(device, amp=True):
    """The autocast dtype for ``device``: bf16 from compute capability 8.0, fp16 below; None (fp32) off CUDA.

    Decided by the capability, not ``torch.cuda.is_bf16_supported()``, which also says True where
    bf16 is only emulated (T4 7.5, V100 7.0, P100 6.0: no bf16 tensor cores, no cuDNN bf16
    convolutions). fp16 needs a ``GradScaler``; bf16 does not. MPS stays in fp32: PyTorch's MPS
    autocast (fp16, bf16 from macOS 14) is not what the course tests, so it is not used.
    """
    device = torch.device(device)
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if cuda_capability(device) >= BF16_CAPABILITY else torch.float16


def use_channels_last(device, channels_last=True):
    """Whether to store images and weights channels_last (NHWC): on CUDA, where the fast kernels want it."""
    return channels_last and torch.device(device).type == "cuda"


def use_cudnn_benchmark(device, fixed_size=True):
    """Whether ``torch.backends.cudnn.benchmark`` should be on: on CUDA when every batch has one size.

    cuDNN then times its algorithms on the first batch of each shape and keeps the fastest;
    with changing sizes it would re-time on every new shape. The price: runs no longer repeat
    bit for bit (see ``determinism``).
    """
    return fixed_size and torch.device(device).type == "cuda"


def enable_cudnn_benchmark(device, fixed_size=True):
    """Turn ``torch.backends.cudnn.benchmark`` on where ``use_cudnn_benchmark`` says so; return its old value."""
    before = torch.backends.cudnn.benchmark
    if use_cudnn_benchmark(device, fixed_size):
        torch.backends.cudnn.benchmark = True
    return before


def use_pin_memory(device):
    """Whether DataLoaders should pin host memory: on CUDA, where it makes ``non_blocking`` copies overlap."""
    return torch.device(device).type == "cuda"


def tf32_enabled():
    """Whether fp32 matmuls and convolutions may run in TF32 (Ampere and newer): (matmul, cudnn)."""
    return bool(torch.backends.cuda.matmul.allow_tf32), bool(torch.backends.cudnn.allow_tf32)


def _precision_words(device, amp):
    dtype = amp_dtype(device, amp)
    if dtype == torch.bfloat16:
        return "bf16 autocast"
    if dtype == torch.float16:
        return "fp16 autocast with gradient scaling (no bf16 tensor cores below compute capability 8.0)"
    return "fp32"


def describe_precision(device, amp=True, channels_last=True):
    """One line saying what training on ``device`` will use: device name, precision, channels_last, TF32."""
    device = torch.device(device)
    layout = "channels_last" if use_channels_last(device, channels_last) else "default memory layout (NCHW)"
    if device.type == "cuda":
        capability = cuda_capability(device)
        name = tr(
            "{gpu} (compute capability {major}.{minor})",
            gpu=torch.cuda.get_device_name(device),
            major=capability[0],
            minor=capability[1],
        )
        matmul, cudnn = tf32_enabled()
        tf32 = tr("TF32 matmul {matmul}, conv {conv}", matmul=_on(matmul), conv=_on(cudnn))
        if capability < BF16_CAPABILITY:
            tf32 = "no TF32 on this GPU"
        return tr(
            "Training on {name}: {precision}, {layout}, {tf32}, cudnn.benchmark {bench}.",
            name=name,
            precision=_precision_words(device, amp),
            layout=layout,
            tf32=tf32,
            bench=_on(use_cudnn_benchmark(device)),
        )
    if device.type == "mps":
        name = "the Apple GPU (MPS)"
    else:
        name = tr("the CPU ({threads} threads)", threads=torch.get_num_threads())
    return tr(
        "Training on {name}: {precision}, {layout}, no TF32.",
        name=name,
        precision=_precision_words(device, amp),
        layout=layout,
    )


def _on(flag):
    return "on" if flag else "off"  # words of the catalog: tr() translates them where they fill a field


def determinism(device):
    """One sentence: whether training on ``device`` repeats exactly, run after run, with the same seed."""
    kind = torch.device(device).type
    if kind == "cpu":
        return tr("CPU: the same seed and thread count repeat a run exactly, number for number.")
    if kind == "cuda":
        return tr(
            "CUDA: runs agree closely but not bit for bit (cudnn.benchmark picks kernels by timing, "
            "and some backward kernels add in a varying order)."
        )
    return tr("MPS: runs agree closely, but PyTorch does not promise that they repeat bit for bit.")


def sync(device):
    """Wait for the GPU to finish, so wall-clock times measure the work and not its queueing."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
