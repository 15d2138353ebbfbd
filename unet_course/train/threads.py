"""How many threads CPU training should use: the CPU time this process can really get.

Data flow: cores this process may run on (``allowed_cores``), capped by the container's quota
(``cpu_quota``), minus the cores other busy processes occupy now (``busy_elsewhere``) ->
``cpu_threads()``. Why: PyTorch's threads work in lock step (each operation waits for its
slowest thread), so when busy processes hold some cores, a thread count that assumes idle
cores leaves every operation waiting for a descheduled thread; fewer threads, one per core
really free, keep working (``python -m benchmarks cpu --competing 2`` measures it).
"""

import math
import os
import statistics
import time
from pathlib import Path


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


def allowed_cores():
    """The cores this process may run on (its affinity on Linux; every core where there is none, e.g. macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def busy_elsewhere(loadavg="/proc/loadavg", samples=5, interval=0.01):
    """How many other processes are running right now: the median of a few samples, ourselves not counted.

    Linux's ``/proc/loadavg`` fourth field is "running/total" at this instant; one of the running
    is this process, reading it. Where that file is absent (macOS), the one-minute load average
    stands in (it lags: processes started in the last seconds count only in part).
    """
    path = Path(loadavg)
    if not path.exists():
        return max(0.0, os.getloadavg()[0] - 1) if hasattr(os, "getloadavg") else 0.0
    counts = []
    for index in range(samples):
        if index:
            time.sleep(interval)
        counts.append(int(path.read_text().split()[3].split("/")[0]))
    return max(0.0, statistics.median(counts) - 1)


def cpu_threads(cgroup_root="/sys/fs/cgroup", busy=None):
    """Threads for CPU training: the usable cores (affinity, capped by the quota) minus those busy elsewhere.

    ``busy`` is how many other processes keep a core busy (default: ``busy_elsewhere()``, measured
    now). At least one thread. On an idle 2-core machine: 2; with two busy processes: 1.
    """
    cores = allowed_cores()
    quota = cpu_quota(cgroup_root)
    usable = min(cores, quota) if quota else cores
    busy = busy_elsewhere() if busy is None else busy
    return max(1, min(usable, math.floor(usable - busy + 0.5)))
