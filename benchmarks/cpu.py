"""CPU training to validation Dice >= 0.95 on the synthetic cells, 2 threads: seconds and peak memory.

Budget: under 60 s from the start of the run (data made, model built, trained, validated each
epoch) and under 1.5 GB peak resident memory. Baseline, in the same run: the Dice of one
global threshold on the same validation images (the best one, chosen with the masks, and
Otsu's), so the figure says how far the U-Net is above what a threshold alone gets.

``--competing N`` (see ``_competing.py``) also trains with N busy processes beside it, in the
same run, and prints the slowdown against the fair-share slowdown.
"""

import argparse
import os
import time

import torch

from unet_course.data import threshold_baseline
from unet_course.model import UNet, count_parameters
from unet_course.train import fit, training_config
from unet_course.train.configs import make_loaders
from unet_course.train.threads import busy_elsewhere

from . import peak_rss_mb
from ._competing import compare_under_competition

BUDGET_S, BUDGET_MB = 60.0, 1500.0


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch (default 2)")
    parser.add_argument("--target", type=float, default=0.95, help="validation Dice to reach (default 0.95)")
    parser.add_argument("--max-epochs", type=int, default=30, help="give up after this many epochs")
    parser.add_argument("--num-train", type=int, help="training images (default: the CPU configuration's)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the threshold baseline")
    parser.add_argument("--competing", type=int, default=0, help="also train beside N busy processes (default 0)")
    parser.add_argument("--competing-seconds", type=float, default=600, help="the busy processes stop by then")
    return parser.parse_args(argv)


def train_to_target(args, threads):
    """One timed training run with ``threads`` threads: its figures, and the validation loader."""
    loadavg_before, busy_before = [round(x, 2) for x in os.getloadavg()], busy_elsewhere()
    start = time.perf_counter()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = training_config("cpu")
    if args.num_train:
        config["num_train"] = args.num_train
    train_loader, val_loader = make_loaders(config, seed=0)
    model = UNet(**config["model"])
    history = fit(
        model, train_loader, val_loader, args.max_epochs, config["lr"], "cpu", target_dice=args.target, progress=False
    )
    seconds = time.perf_counter() - start
    reached = history.stopped == "target"
    figures = {
        "threads": threads,
        "seconds_to_target": round(seconds, 1) if reached else None,
        "target_dice": args.target,
        "reached": reached,
        "epochs": len(history),
        "val_dice": round(history.val_dice[-1], 4),
        "training_seconds": round(history.elapsed[-1], 1),
        "seconds_per_epoch": round(history.elapsed[-1] / len(history), 3),
        "loadavg_before": loadavg_before,
        "busy_elsewhere_before": busy_before,  # other running processes at the start: a quiet run has 0
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "config": {**config, "parameters": count_parameters(model)},
    }
    return figures, val_loader, seconds


def run(argv):
    args = parse(argv)
    figures, val_loader, seconds = train_to_target(args, args.threads)
    peak_mb = peak_rss_mb()
    figures.update(
        peak_rss_mb=round(peak_mb, 1),
        budget_s=BUDGET_S,
        budget_mb=BUDGET_MB,
        within_budget=figures["reached"] and seconds < BUDGET_S and peak_mb < BUDGET_MB,
    )
    if not args.no_baseline:
        baseline = threshold_baseline(val_loader.dataset)
        figures["baseline"] = "one global threshold on the same validation images (data.threshold_baseline)"
        figures["baseline_best_threshold_dice"] = round(baseline["best_threshold_dice"], 4)
        figures["baseline_otsu_dice"] = round(baseline["otsu_dice"], 4)
    if args.competing:
        figures["competing"] = compare_under_competition(
            lambda threads: train_to_target(args, threads)[0], figures, args.competing, args.competing_seconds
        )
    return figures
