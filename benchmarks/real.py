"""Training on the shipped real sample (12 BBBC039v1 nuclei crops), 2 CPU threads: test Dice vs thresholds.

The run: ``pair_loaders`` on the sample's own split (8 train, 2 validation, 2 test), random
64x64 crops with the course's augmentations, ``UNet(base_channels=8)``, ``fit`` with its defaults
(AdamW, warm-up and cosine decay, BCE + batch Dice), the best epoch chosen on validation, then the
test split scored once. Baselines on the same test images, in the same run: the best global
threshold (chosen with the test masks, so an upper bound for any one threshold) and Otsu's
threshold per image. Budget: test Dice at least 0.05 above Otsu, under 2 minutes, under 1.5 GB.
"""

import argparse
import os
import time

import torch

from unet_course.data import threshold_baseline
from unet_course.data.loaders import pair_loaders
from unet_course.data.sample import sample_nuclei_pairs
from unet_course.model import UNet, count_parameters
from unet_course.train import evaluate, fit

from . import peak_rss_mb

BUDGET_S, BUDGET_MB, BUDGET_MARGIN = 120.0, 1500.0, 0.05


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks real")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch (default 2)")
    parser.add_argument("--num-epochs", type=int, default=12, help="epochs (default 12)")
    parser.add_argument("--num-draws", type=int, default=256, help="random crops per epoch (default 256)")
    parser.add_argument("--crop", type=int, default=64, help="crop side in pixels (default 64)")
    parser.add_argument("--lr", type=float, default=4e-3, help="peak learning rate (default 4e-3)")
    return parser.parse_args(argv)


def train_on_sample(args):
    """Train, select on validation, score the test split once: the figures and the test loader."""
    splits = {name: sample_nuclei_pairs(name) for name in ("train", "val", "test")}
    loaders = pair_loaders(splits, crop=args.crop, num_draws=args.num_draws, batch_size=8, seed=0)
    torch.manual_seed(0)
    model = UNet(base_channels=8)
    history = fit(model, loaders.train, loaders.val, args.num_epochs, args.lr, "cpu", progress=False)
    test = evaluate(model, loaders.test, "cpu")  # once, with the weights of the best validation epoch
    figures = {
        "val_dice": round(history.best_val_dice, 4),
        "best_epoch": history.best_epoch,
        "test_dice": round(test["dice"], 4),
        "epochs": len(history),
        "training_seconds": round(history.elapsed[-1], 1),
        "pairs": {name: len(pairs) for name, pairs in splits.items()},
        "config": {**vars(args), "parameters": count_parameters(model)},
    }
    return figures, loaders.test


def run(argv):
    args = parse(argv)
    loadavg_before = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    figures, test_loader = train_on_sample(args)
    seconds = time.perf_counter() - start
    baseline = threshold_baseline(test_loader.dataset)
    peak_mb = peak_rss_mb()
    margin = figures["test_dice"] - baseline["otsu_dice"]
    figures.update(
        seconds=round(seconds, 1),
        peak_rss_mb=round(peak_mb, 1),
        baseline="on the same test images: the best global threshold (chosen with their masks) and per-image Otsu",
        baseline_best_threshold_dice=round(baseline["best_threshold_dice"], 4),
        baseline_otsu_dice=round(baseline["otsu_dice"], 4),
        test_dice_above_otsu=round(margin, 4),
        budget_s=BUDGET_S,
        budget_mb=BUDGET_MB,
        budget_margin_over_otsu=BUDGET_MARGIN,
        within_budget=seconds < BUDGET_S and peak_mb < BUDGET_MB and margin >= BUDGET_MARGIN,
        loadavg_before=loadavg_before,
        loadavg_after=[round(x, 2) for x in os.getloadavg()],
    )
    return figures
