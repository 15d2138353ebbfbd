"""GPU training of the full UNet at 480x480: images/s and peak memory, plain fp32 loop vs the course's fit.

Budget: the ``fit`` path (mixed precision + channels_last, ``--compile`` optional) at least 3x
the plain fp32 loop's images/s, both measured in the same run on the same batches. Also the
time to validation Dice >= 0.95 on the synthetic cells with the GPU configuration. Needs CUDA;
``--device cpu --size 32 --base-channels 4`` runs the same measuring code on a tiny model.
"""

import argparse
import time

import torch

from unet_course.data import SyntheticCells
from unet_course.metrics import BCEDiceLoss
from unet_course.model import UNet
from unet_course.train import fit, training_config
from unet_course.train.configs import make_loaders
from unet_course.train.device import amp_dtype, sync

BUDGET_RATIO = 3.0


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks gpu")
    parser.add_argument("--device", default="cuda", help="cuda (default); cpu only to smoke-test the code")
    parser.add_argument("--size", type=int, default=480, help="image size for throughput (default 480)")
    parser.add_argument("--base-channels", type=int, default=64, help="UNet width (default 64: the text's)")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--compile", action="store_true", help="add torch.compile to the fit path")
    parser.add_argument("--target", type=float, default=0.95, help="validation Dice for the time-to-target")
    parser.add_argument("--max-epochs", type=int, default=20, help="give up on the target after this many epochs")
    parser.add_argument("--target-config", choices=["gpu", "tiny"], default="gpu", help="what trains to the target")
    parser.add_argument("--no-target", action="store_true", help="skip the time-to-target run")
    return parser.parse_args(argv)


def batches(args, device):
    """``steps`` batches of synthetic cells, kept on the CPU: both loops copy each one to the device."""
    data = SyntheticCells(args.batch_size * 2, size=args.size, seed=0)
    images = torch.stack([data[i][0] for i in range(len(data))])
    mask = torch.stack([data[i][1] for i in range(len(data))])
    pin = device.type == "cuda"
    pairs = [(images[i::2].contiguous(), mask[i::2].contiguous()) for i in range(2)]
    if pin:
        pairs = [(x.pin_memory(), m.pin_memory()) for x, m in pairs]
    return [pairs[step % 2] for step in range(args.steps)]


def precision(device):
    dtype = amp_dtype(device)
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "fp32 (no GPU: smoke test only)")


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_mb(device):
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def plain_loop(args, device, train_batches):
    """fp32, default memory format, no autocast: the loop a first tutorial writes."""
    torch.manual_seed(0)
    model = UNet(base_channels=args.base_channels, depth=args.depth).to(device)
    optimizer, loss_fn = torch.optim.Adam(model.parameters(), lr=1e-3), BCEDiceLoss()

    def step(images, mask):
        images, mask = images.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        loss = loss_fn(model(images), mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    reset_peak(device)
    for images, mask in train_batches[: args.warmup]:
        step(images, mask)
    sync(device)
    start = time.perf_counter()
    for images, mask in train_batches:
        step(images, mask)
    sync(device)
    seconds = time.perf_counter() - start
    return len(train_batches) * args.batch_size / seconds, peak_mb(device)


def fit_path(args, device, train_batches):
    """The course's ``fit``: epoch 1 warms up (and compiles), epochs 2-3 are timed by its history."""
    torch.manual_seed(0)
    model = UNet(base_channels=args.base_channels, depth=args.depth)
    val_batches = train_batches[:1]
    reset_peak(device)
    history = fit(model, train_batches, val_batches, 3, 1e-3, device, compile=args.compile, progress=False)
    return history.images_per_second, peak_mb(device)


def time_to_target(args, device):
    start = time.perf_counter()
    torch.manual_seed(0)
    config = training_config(device) if args.target_config == "gpu" else _tiny(args)
    train_loader, val_loader = make_loaders(config, seed=0)
    model = UNet(**config["model"])
    history = fit(
        model, train_loader, val_loader, args.max_epochs, config["lr"], device, target_dice=args.target, progress=False
    )
    reached = history.stopped == "target"
    return {
        "seconds_to_target": round(time.perf_counter() - start, 1) if reached else None,
        "target_dice": args.target,
        "reached": reached,
        "target_epochs": len(history),
        "target_val_dice": round(history.val_dice[-1], 4),
        "target_config": config,
    }


def _tiny(args):
    return {
        "model": {"base_channels": args.base_channels, "depth": args.depth},
        "size": args.size,
        "num_train": args.batch_size * 2,
        "num_val": args.batch_size,
        "batch_size": args.batch_size,
        "lr": 3e-3,
    }


def run(argv):
    args = parse(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            "The gpu benchmark needs a CUDA GPU; none found: run it on a GPU machine "
            "(python -m benchmarks gpu), or smoke-test its code here with "
            "--device cpu --size 32 --base-channels 4 --target-config tiny."
        )
    train_batches = batches(args, device)
    plain_ips, plain_mb = plain_loop(args, device, train_batches)
    fit_ips, fit_mb = fit_path(args, device, train_batches)
    ratio = fit_ips / plain_ips
    figures = {
        "size": args.size,
        "base_channels": args.base_channels,
        "batch_size": args.batch_size,
        "compile": args.compile,
        "plain_fp32_images_per_s": round(plain_ips, 2),
        "plain_fp32_peak_gpu_mb": round(plain_mb, 1) if plain_mb is not None else None,
        "fit_images_per_s": round(fit_ips, 2),
        "fit_peak_gpu_mb": round(fit_mb, 1) if fit_mb is not None else None,
        "fit_precision": precision(device),
        # PyTorch's default: cuDNN runs "fp32" convolutions in TF32 on Ampere and newer GPUs
        "plain_conv_tf32": torch.backends.cudnn.allow_tf32,
        "speedup": round(ratio, 2),
        "budget_speedup": BUDGET_RATIO,
        "within_budget": ratio >= BUDGET_RATIO,
    }
    if not args.no_target:
        figures.update(time_to_target(args, device))
    return figures
