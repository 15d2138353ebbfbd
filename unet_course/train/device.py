"""Where training runs and in what precision: CUDA, then Apple MPS, then the CPU."""

import torch


def choose_device(verbose=True):
    """The fastest device here (CUDA, then Apple MPS, then CPU), with a sentence saying which."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        sentence = f"Using the GPU ({torch.cuda.get_device_name(0)}): training runs in mixed precision."
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
        sentence = "Using the Apple GPU (MPS): training runs in full precision."
    else:
        device = torch.device("cpu")
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


def sync(device):
    """Wait for the GPU to finish, so wall-clock times measure the work and not its queueing."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
