"""Benchmarks: ``python -m benchmarks NAME`` prints one JSON line of figures.

Each benchmark is a module ``benchmarks.NAME`` with a ``run(args) -> dict`` function
and a one-line docstring; ``python -m benchmarks --list`` shows them. Every benchmark
measures its subject and a baseline in the same run, so the figures compare like with like.
"""

import json
import os
import platform
import resource
import statistics
import time

import torch


def machine():
    """What the figures were measured on."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "gpu": gpu,
    }


def peak_rss_mb():
    """This process's peak resident memory so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if platform.system() == "Darwin" else peak / 1024


def timed(fn, repeat=5):
    """Median wall time of ``fn()`` over ``repeat`` calls, in seconds, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def emit(name, figures):
    """Print one JSON line: the benchmark's name, its figures and the machine."""
    line = {"benchmark": name, **figures, **machine()}
    print(json.dumps(line), flush=True)
    return line
