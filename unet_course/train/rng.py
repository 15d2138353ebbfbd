"""Random-number states, saved in ``last.pt`` so that a resumed run draws what an unbroken one would.

Covers Python's ``random``, NumPy's global generator, torch's CPU (and CUDA) generators and
the loader's own generator (``DataLoader(generator=...)``, or a sampler's ``generator`` or
``state_dict()``), which decides the shuffled order of every epoch.
"""

import random

import numpy as np
import torch


def _loader_generators(loader):
    """The distinct ``torch.Generator`` objects a loader shuffles with (none for a plain list)."""
    found = [getattr(loader, "generator", None), getattr(getattr(loader, "sampler", None), "generator", None)]
    unique = []
    for generator in found:
        if isinstance(generator, torch.Generator) and all(generator is not g for g in unique):
            unique.append(generator)
    return unique


def rng_state(loader=None):
    """Every RNG state as tensors and plain values (loadable with ``weights_only=True``)."""
    version, keys, gauss = random.getstate()
    kind, np_keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002 (the legacy global state is what we save)
    sampler = getattr(loader, "sampler", None)
    return {
        "python": [version, list(keys), gauss],
        "numpy": [kind, torch.from_numpy(np_keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "loader": [g.get_state() for g in _loader_generators(loader)],
        "sampler": sampler.state_dict() if hasattr(sampler, "state_dict") else None,
    }


def restore_rng_state(state, loader=None):
    """Put back what ``rng_state`` saved (the loader's generators too)."""
    version, keys, gauss = state["python"]
    random.setstate((version, tuple(keys), gauss))
    kind, np_keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np_keys.numpy().astype(np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    generators = _loader_generators(loader)
    if len(generators) != len(state["loader"]):
        raise ValueError(
            f"The checkpoint saved {len(state['loader'])} loader generator(s), this training loader has "
            f"{len(generators)}: resume with a loader built as the first run's (same shuffle and generator)."
        )
    for generator, saved in zip(generators, state["loader"]):
        generator.set_state(saved)
    sampler = getattr(loader, "sampler", None)
    if state["sampler"] is not None and hasattr(sampler, "load_state_dict"):
        sampler.load_state_dict(state["sampler"])


class Untouched:
    """Context: whatever runs inside leaves every RNG state (and the loader's generators) as it found them."""

    def __init__(self, loader=None):
        self.loader = loader

    def __enter__(self):
        self.state = rng_state(self.loader)
        return self

    def __exit__(self, *exc):
        restore_rng_state(self.state, self.loader)
        return False
