"""CPU training to validation Dice >= 0.95 on the synthetic cells, 2 threads: seconds and peak memory.

Budget: under 60 s from the start of the run (data made, model built, trained, validated each
epoch) and under 1.5 GB peak resident memory. Baseline, in the same run: the Dice of one
global threshold on the same validation images (the best one, chosen with the masks, and
Otsu's), so the figure says how far the U-Net is above what a threshold alone gets.
"""

import argparse
import time

import torch

from unet_course.data import threshold_baseline
from unet_course.model import UNet, count_parameters
from unet_course.train import fit, training_config
from unet_course.train.configs import make_loaders

from . import peak_rss_mb

BUDGET_S, BUDGET_MB = 60.0, 1500.0


def run(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch (default 2)")
    parser.add_argument("--target", type=float, default=0.95, help="validation Dice to reach (default 0.95)")
    parser.add_argument("--max-epochs", type=int, default=30, help="give up after this many epochs")
    parser.add_argument("--num-train", type=int, help="training images (default: the CPU configuration's)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the threshold baseline")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
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
    peak_mb = peak_rss_mb()
    figures = {
        "seconds_to_target": round(seconds, 1) if reached else None,
        "target_dice": args.target,
        "reached": reached,
        "epochs": len(history),
        "val_dice": round(history.val_dice[-1], 4),
        "training_seconds": round(history.elapsed[-1], 1),
        "peak_rss_mb": round(peak_mb, 1),
        "config": {**config, "parameters": count_parameters(model)},
        "budget_s": BUDGET_S,
        "budget_mb": BUDGET_MB,
        "within_budget": reached and seconds < BUDGET_S and peak_mb < BUDGET_MB,
    }
    if not args.no_baseline:
        baseline = threshold_baseline(val_loader.dataset)
        figures["baseline"] = "one global threshold on the same validation images (data.threshold_baseline)"
        figures["baseline_best_threshold_dice"] = round(baseline["best_threshold_dice"], 4)
        figures["baseline_otsu_dice"] = round(baseline["otsu_dice"], 4)
    return figures
