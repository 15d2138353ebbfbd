"""Shape trace of the full UNet at (10, 1, 480, 480) on meta vs a real CPU forward pass.

Budget: the trace under 0.2 s and no tensor memory. The baseline, in the same run, is one
real forward pass of the same model on CPU at a batch of 1 (the trace's batch is 10).
"""

import argparse
import time

import torch

from unet_course.model import UNet
from unet_course.shapes import trace_shapes

from . import peak_rss_mb, timed


def run(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks shapes")
    parser.add_argument("--no-baseline", action="store_true", help="skip the real CPU forward pass")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = UNet()
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    trace_shapes(model, (10, 1, 480, 480))  # first call also loads PyTorch's meta kernels
    first_call_s = time.perf_counter() - start
    rss_warm = peak_rss_mb()
    trace_s, rows = timed(lambda: trace_shapes(model, (10, 1, 480, 480)), repeat=7)
    figures = {
        "trace_s": round(trace_s, 4),
        "trace_first_call_s": round(first_call_s, 3),
        "trace_rows": len(rows),
        "first_call_peak_rss_growth_mb": round(rss_warm - rss_before, 1),  # PyTorch's meta kernels loading
        "trace_peak_rss_growth_mb": round(peak_rss_mb() - rss_warm, 1),
        "budget_trace_s": 0.2,
        "within_budget": trace_s < 0.2,
    }
    if not args.no_baseline:
        model.eval()
        with torch.no_grad():
            forward_s, _ = timed(lambda: model(torch.zeros(1, 1, 480, 480)), repeat=1)
        figures["baseline_cpu_forward_batch1_s"] = round(forward_s, 3)
        figures["baseline_peak_rss_growth_mb"] = round(peak_rss_mb() - rss_before, 1)
        figures["speedup_vs_one_cpu_forward"] = round(forward_s / trace_s, 1)
    return figures
