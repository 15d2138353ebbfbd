"""Where training runs and in what precision: CUDA, then Apple MPS, then the CPU."""

import math
import os
from pathlib import Path

import torch


def cpu_quota(cgroup_root="/sys/fs/cgroup"):
    """CPUs this process may really use: the cgroup quota (Docker, Binder) if any, else None.

    Containers often show every core of the host while allowing only one or two of them;
    PyTorch then starts one thread per visible core and the threads fight for the quota.
    """
    root = Path(cgroup_root)
    try:
        if (root / "cpu.max").exists():  # cgroup v2: "max 100000" or "150000 100000"
            quota, period = (root / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else max(1, math.ceil(int(quota) / int(period)))
        v1 = root / "cpu" if (root / "cpu").exists() else root
        if (v1 / "cpu.cfs_quota_us").exists():  # cgroup v1: -1 means no limit
            quota = int((v1 / "cpu.cfs_quota_us").read_text())
            period = int((v1 / "cpu.cfs_period_us").read_text())
            return None if quota <= 0 else max(1, math.ceil(quota / period))
    except (OSError, ValueError):
        return None  # an unreadable or unusual cgroup file: no quota known, nothing is limited
    return None


def cpu_threads(cgroup_root="/sys/fs/cgroup"):
    """How many threads CPU training should use: the cores this process may run on, capped by the quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cpu_quota(cgroup_root)
    return min(cores, quota) if quota else cores


def choose_device(verbose=True):
    """The fastest device here (CUDA, then Apple MPS, then CPU), with a sentence saying which.

    On the CPU, PyTorch's thread count is lowered to the CPUs the process may really use
    (see ``cpu_threads``) so that a container with a CPU quota, such as Binder, does not
    run more threads than it has CPUs.
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        sentence = f"Using the GPU ({torch.cuda.get_device_name(0)}): training runs in mixed precision."
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        sentence = "Using the Apple GPU (MPS): training runs in full precision."
    else:
        device = torch.device("cpu")
        torch.set_num_threads(min(torch.get_num_threads(), cpu_threads()))
        sentence = "No GPU found: using the CPU, with a smaller configuration so that training takes seconds."
    if verbose:
        print(sentence)
    return device


def as_device(device):
    """``device`` as a ``torch.device``; None chooses one quietly."""
    if device is None:
        return choose_device(verbose=False)
    return torch.device(device)


def amp_dtype(device, amp=True):
    """The autocast dtype for ``device``: bf16 on GPUs that have it, else fp16; None (fp32) off CUDA."""
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def use_channels_last(device, channels_last=True):
    """Whether to store images and weights channels_last (NHWC): on CUDA, where the fast kernels want it."""
    return channels_last and device.type == "cuda"


def sync(device):
    """Wait for the GPU to finish, so wall-clock times measure the work and not its queueing."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
