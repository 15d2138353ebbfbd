"""Each notebook run headless in a fresh kernel: its peak memory and wall time, against Binder's limits.

Budgets: every notebook under 1.5 GB peak (Binder gives 2 GB) and the whole course under
5 minutes. Each notebook runs top to bottom with nbclient in a kernel of its own, from a temporary
copy of its folder (so nothing is written beside the stored notebooks). Its time counts from
starting the kernel to the last cell's reply; its peak is the kernel process's high-water mark
(``VmHWM`` in ``/proc/<pid>/status``, read after every cell: it only grows). The baseline, in the
same run, is a notebook that only imports torch and unet_course: what any notebook costs before
its first lesson cell. Not counted: the kernel's shutdown after the last cell, and processes the
kernel starts (e.g. DataLoader workers).
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

BUDGET_PEAK_MB = 1536  # 1.5 GiB, in the MiB that peak_rss_mb() reports
BUDGET_TOTAL_S = 300
BASELINE_SOURCE = "import torch\n\nimport unet_course"


def kernel_peak_mb(pid):
    """Peak resident memory of process ``pid`` so far, in MB (MiB), from Linux's /proc; None elsewhere."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def measure(path, timeout=600):
    """Run one notebook file in a fresh kernel; return its peak MB, seconds and the first error, if any."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    peak = {"mb": None, "last_cell": None}

    def record(**_):
        peak["last_cell"] = time.perf_counter()
        mb = kernel_peak_mb(client.km.provisioner.pid)
        if mb is not None:
            peak["mb"] = max(peak["mb"] or 0.0, mb)

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
        on_cell_executed=record,
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1][:300]
    # up to the last cell's reply: the kernel's shutdown afterwards (a second or more) is nobody's wait
    seconds = (peak["last_cell"] or time.perf_counter()) - start
    return {
        "peak_mb": None if peak["mb"] is None else round(peak["mb"], 1),
        "seconds": round(seconds, 2),
        "error": error,
    }


def baseline_notebook(folder):
    """An almost empty notebook: start a kernel, import torch and unet_course."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(BASELINE_SOURCE)]
    path = Path(folder) / "baseline.ipynb"
    nbformat.write(nb, path)
    return path


def within_budget(result):
    return result["error"] is None and result["peak_mb"] is not None and result["peak_mb"] < BUDGET_PEAK_MB


def run(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks notebooks")
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: notebooks/[0-9]*.ipynb here)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--no-baseline", action="store_true", help="skip the import-only notebook")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted(Path("notebooks").glob("[0-9]*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none in ./notebooks: run from the course's folder or name them")
    results = {}
    with tempfile.TemporaryDirectory(prefix="unet-course-bench-") as scratch:
        if not args.no_baseline:
            baseline = measure(baseline_notebook(scratch), args.timeout)
        # each notebook runs in a copy of its folder, as nbval and Lab would run it in place, in order (08 may
        # use what 07 saved), without checkpoints left there by earlier runs: as in a fresh clone
        copies = {}
        for path in paths:
            folder = path.resolve().parent
            if folder not in copies:
                copies[folder] = Path(scratch, f"{len(copies)}", folder.name)
                ignore = shutil.ignore_patterns("student", ".ipynb_checkpoints", "checkpoints")
                shutil.copytree(folder, copies[folder], ignore=ignore)
            result = results[path.stem] = measure(copies[folder] / path.name, args.timeout)
            result["within_budget"] = within_budget(result)
            print(f"{path.stem}: {result['seconds']} s, peak {result['peak_mb']} MB", file=sys.stderr, flush=True)
    total = round(sum(r["seconds"] for r in results.values()), 1)
    figures = {
        "notebooks": results,
        "total_s": total,
        "max_peak_mb": max((r["peak_mb"] or 0 for r in results.values()), default=None),
        "budget_peak_mb": BUDGET_PEAK_MB,
        "budget_total_s": BUDGET_TOTAL_S,
        "within_budget": all(r["within_budget"] for r in results.values()) and total < BUDGET_TOTAL_S,
    }
    if not args.no_baseline:
        figures["baseline_import_only"] = baseline
    return figures
