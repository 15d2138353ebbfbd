"""GPU training of the full UNet at 480x480: true fp32, PyTorch's default (TF32) and the course's fit path.

Three paths train the same UNet on the same batches, interleaved with equal warm-up
(``_throughput.py``): ``fp32`` (TF32 off for matmuls and cuDNN: true fp32), ``tf32_default``
(PyTorch's own settings: cuDNN convolutions in TF32 on Ampere and newer) and ``fit`` (what
``fit`` uses: bf16 autocast from compute capability 8.0, fp16 + GradScaler below, channels_last,
cudnn.benchmark, ``--compile`` optional). Each reports images/s, peak memory of its steps and
MFU against the GPU's dense bf16 peak. Then the time to validation Dice >= 0.95 with ``fit``
and the memory-sized GPU configuration, clocked from the first training step (making the data is
reported apart). Budgets (Hopper): fit >= 2x tf32_default and >= 4x fp32; time to target < 30 s.
The batch defaults to the largest that fits true fp32 in this GPU's memory (``train.memory``).
``--device cpu --size 32 --base-channels 4`` runs the same measuring code on a tiny model.
"""

import argparse
import contextlib
import time

import torch

from unet_course.data import SyntheticCells
from unet_course.metrics import BCEDiceLoss
from unet_course.model import UNet
from unet_course.train import fit
from unet_course.train.configs import make_loaders
from unet_course.train.device import amp_dtype, cuda_capability, sync, use_channels_last, use_cudnn_benchmark
from unet_course.train.memory import gpu_training_config, largest_batch

from . import _throughput as tp

BUDGET_VS_TF32, BUDGET_VS_FP32, BUDGET_TARGET_S = 2.0, 4.0, 30.0


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks gpu")
    parser.add_argument("--device", default="cuda", help="cuda (default); cpu only to smoke-test the code")
    parser.add_argument("--size", type=int, default=480, help="image size for throughput (default 480)")
    parser.add_argument("--base-channels", type=int, default=64, help="UNet width (default 64: the text's)")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--batch-size", type=int, help="default: the largest that fits true fp32 (at most 16)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per path and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per path first")
    parser.add_argument("--compile", action="store_true", help="add torch.compile to the fit path")
    parser.add_argument("--target", type=float, default=0.95, help="validation Dice for the time-to-target")
    parser.add_argument("--max-epochs", type=int, default=20, help="give up on the target after this many epochs")
    parser.add_argument("--target-config", choices=["gpu", "tiny"], default="gpu", help="what trains to the target")
    parser.add_argument("--no-target", action="store_true", help="skip the time-to-target run")
    return parser.parse_args(argv)


def default_batch_size(args, device):
    if device.type != "cuda":
        return 2
    total = torch.cuda.get_device_properties(device).total_memory
    batch = largest_batch(total, args.base_channels, args.size, "fp32", (16, 8, 4, 2, 1))
    if batch is None:
        raise SystemExit(f"UNet(base_channels={args.base_channels}) at {args.size}px does not fit: lower --size.")
    return batch


@contextlib.contextmanager
def backend_flags(tf32=None, cudnn_benchmark=False):
    """TF32 for matmuls and cuDNN (None: leave PyTorch's settings) and cudnn.benchmark, restored after."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark)
    try:
        if tf32 is not None:
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = cudnn_benchmark
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = saved


def make_step(args, device, batches, fit_path):
    """One path's ``step()``: a UNet, Adam and BCE + Dice; ``fit_path`` adds fit's precision and layout."""
    torch.manual_seed(0)
    model = UNet(base_channels=args.base_channels, depth=args.depth).to(device)
    dtype = amp_dtype(device) if fit_path else None
    channels_last = fit_path and use_channels_last(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer, loss_fn = torch.optim.Adam(model.parameters(), lr=1e-3), BCEDiceLoss()
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
    forward = torch.compile(model) if fit_path and args.compile else model
    state = {"index": 0}

    def step():
        images, mask = batches[state["index"] % len(batches)]
        state["index"] += 1
        images, mask = images.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            logits = forward(images)
        loss = loss_fn(logits.float(), mask)
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

    return step, model


def flagged(step, tf32, cudnn_benchmark):
    def run():
        with backend_flags(tf32, cudnn_benchmark):
            step()

    return run


def peak_step_mb(device, step):
    """Peak memory of one step above what was allocated before it (activations and buffers), MB."""
    if device.type != "cuda":
        return None
    sync(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    step()
    sync(device)
    return round((torch.cuda.max_memory_allocated(device) - before) / 2**20, 1)


def throughput(args, device):
    """The three paths, interleaved: images/s, peak step memory and MFU for each, and their ratios."""
    start = time.perf_counter()
    data = SyntheticCells(args.batch_size * 2, size=args.size, seed=0)
    images, mask = (torch.stack(t) for t in zip(*(data[i] for i in range(len(data)))))
    batches = [(images[i::2].contiguous(), mask[i::2].contiguous()) for i in range(2)]
    if device.type == "cuda":
        batches = [(x.pin_memory(), m.pin_memory()) for x, m in batches]
    data_seconds = time.perf_counter() - start
    fp32, model = make_step(args, device, batches, False)
    default, _ = make_step(args, device, batches, False)
    fitted, _ = make_step(args, device, batches, True)
    paths = {
        "fp32": flagged(fp32, False, False),
        "tf32_default": flagged(default, None, False),
        "fit": flagged(fitted, None, use_cudnn_benchmark(device)),
    }
    tp.warm_up(paths, args.warmup)

    def clock(fn):
        sync(device)
        begin = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - begin

    seconds, orders = tp.interleaved(paths, args.rounds, args.steps, clock)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    peak, flops = tp.peak_tflops(name), tp.training_flops_per_image(model, args.size)
    figures = {"data_seconds": round(data_seconds, 2), "round_orders": orders, "peak_tflops": peak}
    for path, step in paths.items():
        ips = tp.images_per_second(seconds[path], args.steps, args.batch_size)
        utilisation = tp.mfu(ips, flops, peak)
        figures[path] = {
            "images_per_s": round(ips, 2),
            "round_seconds": [round(s, 4) for s in seconds[path]],
            "peak_step_mb": peak_step_mb(device, step),
            "mfu": None if utilisation is None else round(utilisation, 4),
        }
    figures["training_gflops_per_image"] = round(flops / 1e9, 2)
    return figures


def time_to_target(args, device):
    """``fit`` to the target Dice: seconds from its first training step; making the data reported apart."""
    if args.target_config == "gpu":
        precision = "mixed" if amp_dtype(device) is not None else "fp32"
        config = gpu_training_config(torch.cuda.get_device_properties(device).total_memory, precision)
    else:
        config = {"model": {"base_channels": args.base_channels, "depth": args.depth}, "size": args.size}
        config.update(num_train=args.batch_size * 2, num_val=args.batch_size, batch_size=args.batch_size, lr=3e-3)
    start = time.perf_counter()
    torch.manual_seed(0)
    train_loader, val_loader = make_loaders(config, seed=0)
    data_seconds = time.perf_counter() - start
    model = UNet(**config["model"])
    history = fit(
        model, train_loader, val_loader, args.max_epochs, config["lr"], device, target_dice=args.target, progress=False
    )
    reached = history.stopped == "target"
    return {
        "seconds_to_target": round(history.elapsed[-1], 1) if reached else None,
        "target_data_seconds": round(data_seconds, 1),
        "target_dice": args.target,
        "reached": reached,
        "target_epochs": len(history),
        "target_val_dice": round(history.val_dice[-1], 4),
        "target_config": config,
    }


def precision(device):
    dtype = amp_dtype(device)
    return {torch.bfloat16: "bf16", torch.float16: "fp16 + GradScaler"}.get(dtype, "fp32 (no GPU: smoke test only)")


def budgets(figures, device):
    """The ratios and whether they meet the budgets (which are set for Hopper GPUs)."""
    vs_tf32 = figures["fit"]["images_per_s"] / figures["tf32_default"]["images_per_s"]
    vs_fp32 = figures["fit"]["images_per_s"] / figures["fp32"]["images_per_s"]
    hopper = device.type == "cuda" and cuda_capability(device)[0] == 9
    target_ok = "reached" not in figures or (  # no target run: only the ratios count
        figures["seconds_to_target"] is not None and figures["seconds_to_target"] < BUDGET_TARGET_S
    )
    return {
        "fit_vs_tf32_default": round(vs_tf32, 2),
        "fit_vs_fp32": round(vs_fp32, 2),
        "budget_fit_vs_tf32_default": BUDGET_VS_TF32,
        "budget_fit_vs_fp32": BUDGET_VS_FP32,
        "budget_target_s": BUDGET_TARGET_S,
        "budgets_are_for": "Hopper (compute capability 9.x)",
        "hopper": hopper,
        "within_budget": vs_tf32 >= BUDGET_VS_TF32 and vs_fp32 >= BUDGET_VS_FP32 and target_ok,
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
    args.batch_size = args.batch_size or default_batch_size(args, device)
    figures = {"size": args.size, "base_channels": args.base_channels, "batch_size": args.batch_size}
    figures.update(compile=args.compile, fit_precision=precision(device), pytorch_tf32_default=_tf32_flags())
    figures.update(throughput(args, device))
    if not args.no_target:
        figures.update(time_to_target(args, device))
    figures.update(budgets(figures, device))
    return figures


def _tf32_flags():
    return {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}
