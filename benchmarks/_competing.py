"""Busy processes beside a benchmark, and the arithmetic of a fair share of the cores.

Fair share: with ``competing`` busy processes (one runnable thread each) and a run that wants
``threads`` threads on ``cores`` cores, a scheduler that shares CPU time evenly among the
``competing + threads`` runnable threads gives each ``cores / (competing + threads)`` of a core
(at most one). A run whose threads each got a full core quiet is then slowed by
``(competing + threads) / cores``, and not at all while ``competing + threads <= cores``.
Example: 2 busy processes, 2 threads, 2 cores: 2.0x. Budget: at most 1.3x that.
"""

import contextlib
import os
import subprocess
import sys
import time

from unet_course.train.threads import allowed_cores, cpu_threads

BUDGET_VS_FAIR_SHARE = 1.3
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def fair_share_slowdown(competing, threads, cores):
    """``max(1, (competing + threads) / cores)``: the slowdown an even share of the cores gives."""
    if competing < 0 or threads < 1 or cores < 1:
        raise ValueError(f"need competing >= 0, threads >= 1, cores >= 1; got {competing}, {threads}, {cores}.")
    return max(1.0, (competing + threads) / cores)


@contextlib.contextmanager
def busy_processes(count, seconds):
    """``count`` pure-Python spin loops in processes of their own, each ending by itself after ``seconds``.

    Always stopped on the way out (terminated, then killed if they linger), whatever happens inside.
    """
    processes = []
    try:
        for _ in range(count):
            processes.append(subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=float(seconds))]))
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def slowdown(run, quiet):
    """How much slower ``run`` trained than ``quiet``, by seconds per epoch (not epochs to target:
    a different thread count sums in a different order and may need one epoch more or less)."""
    return run["seconds_per_epoch"] / quiet["seconds_per_epoch"]


def compare_under_competition(train, quiet, competing, seconds, settle=0.5):
    """Train beside ``competing`` busy processes with the course's thread choice and with ``quiet``'s.

    ``train(threads) -> figures`` runs one training; ``quiet`` is its figures on the quiet machine.
    Returns both runs, their slowdowns, the fair-share slowdown and whether the course's is within budget.
    """
    cores = allowed_cores()
    fair = fair_share_slowdown(competing, quiet["threads"], cores)
    loadavg_before = [round(x, 2) for x in os.getloadavg()]
    with busy_processes(competing, seconds):
        time.sleep(settle)  # let them start spinning, so that the thread choice sees them
        threads = cpu_threads()
        course = train(threads)
        fixed = train(quiet["threads"])
    course_slowdown, fixed_slowdown = slowdown(course, quiet), slowdown(fixed, quiet)
    return {
        "processes": competing,
        "cores": cores,
        "loadavg_before": loadavg_before,
        "course_threads": threads,
        "course_run": course,
        "fixed_threads_run": fixed,
        "slowdown_course_threads": round(course_slowdown, 2),
        "slowdown_fixed_threads": round(fixed_slowdown, 2),
        "fair_share_slowdown": round(fair, 2),
        "budget_vs_fair_share": BUDGET_VS_FAIR_SHARE,
        "course_vs_fair_share": round(course_slowdown / fair, 2),
        "within_budget": course_slowdown <= BUDGET_VS_FAIR_SHARE * fair,
    }
