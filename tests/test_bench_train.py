"""The training benchmarks: cpu and gpu measured on a tiny configuration, and gpu refused without CUDA."""

import json

import pytest
import torch

from benchmarks import __main__ as bench_main
from benchmarks import cpu, gpu

TINY_GPU = "--device cpu --size 32 --base-channels 4 --depth 2 --batch-size 2 --steps 2 --warmup 1".split()


@pytest.fixture(autouse=True)
def keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_cpu_benchmark_smoke():
    figures = cpu.run(["--threads", "1", "--max-epochs", "1", "--num-train", "8", "--target", "0.999"])
    assert figures["epochs"] == 1 and figures["reached"] is False and figures["seconds_to_target"] is None
    assert figures["within_budget"] is False and figures["budget_s"] == 60.0 and figures["budget_mb"] == 1500.0
    assert figures["peak_rss_mb"] > 0 and 0 <= figures["val_dice"] <= 1
    assert 0 < figures["baseline_otsu_dice"] <= figures["baseline_best_threshold_dice"] <= 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the benchmark would run")
def test_gpu_benchmark_refuses_without_cuda():
    with pytest.raises(SystemExit, match="needs a CUDA GPU; none found: run it on a GPU machine"):
        gpu.run([])


def test_gpu_benchmark_measuring_code_on_a_tiny_cpu_model(capsys):
    argv = ["gpu", *TINY_GPU, "--target-config", "tiny", "--max-epochs", "1", "--target", "0.5"]
    assert bench_main.main(argv) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["benchmark"] == "gpu" and line["size"] == 32
    assert line["plain_fp32_images_per_s"] > 0 and line["fit_images_per_s"] > 0
    assert line["speedup"] == pytest.approx(line["fit_images_per_s"] / line["plain_fp32_images_per_s"], rel=0.02)
    assert line["plain_fp32_peak_gpu_mb"] is None and line["fit_precision"].startswith("fp32")
    assert line["plain_conv_tf32"] is torch.backends.cudnn.allow_tf32
    assert line["target_epochs"] == 1 and "target_val_dice" in line and line["budget_speedup"] == 3.0
