"""The training benchmarks: cpu and gpu measured on a tiny configuration, their arithmetic, gpu refused without CUDA."""

import json
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import unet_course
from benchmarks import __main__ as bench_main
from benchmarks import _competing, _throughput, cpu, gpu
from unet_course.model import UNet

TINY_GPU = "--device cpu --size 32 --base-channels 4 --depth 2 --batch-size 2 --steps 2 --warmup 1 --rounds 3".split()


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
    assert figures["seconds_per_epoch"] == pytest.approx(figures["training_seconds"], abs=0.06)
    assert len(figures["loadavg_after"]) == len(figures["loadavg_before"]) == 3 and "competing" not in figures
    assert figures["busy_elsewhere_before"] >= 0
    assert 0 < figures["baseline_otsu_dice"] <= figures["baseline_best_threshold_dice"] <= 1


def test_fair_share_slowdown_arithmetic():
    assert _competing.fair_share_slowdown(2, 2, 2) == 2.0  # the case: 2 busy processes, 2 threads, 2 cores
    assert _competing.fair_share_slowdown(1, 2, 2) == 1.5
    assert _competing.fair_share_slowdown(1, 1, 4) == 1.0  # enough idle cores: no slowdown is fair
    with pytest.raises(ValueError, match="need competing >= 0, threads >= 1, cores >= 1; got 1, 0, 2"):
        _competing.fair_share_slowdown(1, 0, 2)


def test_busy_processes_spin_and_are_always_stopped():
    with pytest.raises(RuntimeError, match="inside"):
        with _competing.busy_processes(2, seconds=60) as processes:
            assert len(processes) == 2 and all(p.poll() is None for p in processes)
            raise RuntimeError("inside")
    assert all(p.returncode is not None for p in processes)


def test_busy_processes_end_by_themselves():
    with _competing.busy_processes(1, seconds=0.2) as (process,):
        assert process.wait(timeout=30) == 0


def test_compare_under_competition_uses_the_course_threads_and_the_quiet_ones(monkeypatch):
    monkeypatch.setattr(_competing, "cpu_threads", lambda: 1)
    monkeypatch.setattr(_competing, "allowed_cores", lambda: 2)
    seconds = {1: 6.0, 2: 20.0}
    calls = []

    def train(threads):
        calls.append(threads)
        return {"threads": threads, "seconds_per_epoch": seconds[threads]}

    result = _competing.compare_under_competition(train, {"threads": 2, "seconds_per_epoch": 4.0}, 1, 30, settle=0)
    assert calls == [1, 2] and result["course_threads"] == 1
    assert result["slowdown_course_threads"] == 1.5 and result["slowdown_fixed_threads"] == 5.0
    assert result["fair_share_slowdown"] == 1.5 and result["course_vs_fair_share"] == 1.0
    assert result["within_budget"] is True and len(result["loadavg_before"]) == 3


def test_peak_table_matches_specific_names_first():
    assert _throughput.peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert _throughput.peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert _throughput.peak_tflops("NVIDIA H200") == 989.0
    assert _throughput.peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert _throughput.peak_tflops("NVIDIA L4") == 121.0 and _throughput.peak_tflops("Tesla T4") == 65.0
    assert _throughput.peak_tflops("NVIDIA GeForce GTX 1080") is None and _throughput.peak_tflops(None) is None


def test_training_flops_and_mfu():
    model = UNet(base_channels=4, depth=2)
    flops = _throughput.training_flops_per_image(model, 32)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 1, 32, 32))
    assert flops == 3 * counter.get_total_flops()  # PyTorch's own count of one forward pass, times 3
    assert _throughput.mfu(1000.0, 1e12, 989.0) == pytest.approx(1000 / 989)
    assert _throughput.mfu(10.0, 1e9, None) is None
    assert _throughput.images_per_second([2.0, 1.0, 4.0], steps=10, batch_size=4) == 20.0


def test_interleaving_rotates_the_order_and_warms_up_equally():
    calls = []
    paths = {name: (lambda name=name: calls.append(name)) for name in ("a", "b", "c")}
    _throughput.warm_up(paths, 2)
    assert calls == ["a", "a", "b", "b", "c", "c"]
    calls.clear()
    ticks = iter(range(1, 100))
    seconds, orders = _throughput.interleaved(paths, rounds=3, steps=2, clock=lambda fn: (fn(), next(ticks))[1])
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert calls == ["a", "a", "b", "b", "c", "c", "b", "b", "c", "c", "a", "a", "c", "c", "a", "a", "b", "b"]
    assert seconds == {"a": [1, 6, 8], "b": [2, 4, 9], "c": [3, 5, 7]}


def test_backend_flags_are_restored():
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark
    with gpu.backend_flags(tf32=not saved[0], cudnn_benchmark=True):
        assert torch.backends.cudnn.allow_tf32 is (not saved[0]) and torch.backends.cudnn.benchmark is True
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark) == saved


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the benchmark would run")
def test_gpu_benchmark_refuses_without_cuda():
    with pytest.raises(SystemExit, match="needs a CUDA GPU; none found: run it on a GPU machine"):
        gpu.run([])


def test_gpu_benchmark_measuring_code_on_a_tiny_cpu_model(capsys):
    argv = ["gpu", *TINY_GPU, "--target-config", "tiny", "--max-epochs", "1", "--target", "0.01"]
    assert bench_main.main(argv) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["benchmark"] == "gpu" and line["size"] == 32 and line["batch_size"] == 2
    for path in ("fp32", "tf32_default", "fit"):
        assert line[path]["images_per_s"] == pytest.approx(2 * 2 / sorted(line[path]["round_seconds"])[1], rel=0.01)
        assert line[path]["peak_step_mb"] is None and line[path]["mfu"] is None  # no GPU, no peak known
    assert line["fit_vs_fp32"] == pytest.approx(line["fit"]["images_per_s"] / line["fp32"]["images_per_s"], rel=0.02)
    assert line["fit_precision"].startswith("fp32") and line["hopper"] is False
    assert line["round_orders"][1] == ["tf32_default", "fit", "fp32"]
    assert line["budget_fit_vs_tf32_default"] == 2.0 and line["budget_fit_vs_fp32"] == 4.0
    assert line["target_epochs"] == 1 and line["target_data_seconds"] >= 0
    assert (line["seconds_to_target"] is not None) == line["reached"]


def test_benchmarks_are_not_in_the_package():
    package = Path(unet_course.__file__).parent
    assert not (package / "bench" / "__init__.py").exists() and (package.parent / "benchmarks" / "gpu.py").exists()
    # the helpers' _modules are not listed
    assert bench_main.available() == ["cpu", "gpu", "notebooks", "real", "shapes"]
