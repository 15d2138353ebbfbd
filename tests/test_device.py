"""Precision, layout and memory choices per device, with the GPU's capabilities faked on a CPU machine."""

import types

import pytest
import torch

from unet_course.metrics import BCEDiceLoss
from unet_course.model import UNet
from unet_course.train import device as dev
from unet_course.train import memory

GIB = 2**30
T4_BYTES = 15_843_721_216  # what a 16 GB T4 reports as total_memory


@pytest.fixture
def fake_gpu(monkeypatch):
    """Make CUDA look present, with a given name and compute capability."""

    def install(name, capability):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=None: capability)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: name)
        props = types.SimpleNamespace(name=name, major=capability[0], minor=capability[1], total_memory=16 * GIB)
        monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index=None: props)
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # as on a T4: emulation counts
        return torch.device("cuda")

    return install


@pytest.mark.parametrize(
    ("name", "capability", "dtype"),
    [
        ("Tesla P100-PCIE-16GB", (6, 0), torch.float16),
        ("Tesla T4", (7, 5), torch.float16),
        ("NVIDIA A100-SXM4-40GB", (8, 0), torch.bfloat16),
        ("NVIDIA H100 80GB HBM3", (9, 0), torch.bfloat16),
    ],
)
def test_precision_follows_the_compute_capability(fake_gpu, name, capability, dtype):
    device = fake_gpu(name, capability)
    assert dev.amp_dtype(device) == dtype
    assert dev.amp_dtype(device, amp=False) is None
    line = dev.describe_precision(device)
    assert line.startswith(f"Training on {name} (compute capability {capability[0]}.{capability[1]}): ")
    assert ("bf16 autocast" in line) == (dtype == torch.bfloat16)
    assert ("fp16 autocast with gradient scaling" in line) == (dtype == torch.float16)
    assert "channels_last" in line and "cudnn.benchmark on" in line


def test_tf32_is_reported_as_it_is_set(fake_gpu):
    device = fake_gpu("NVIDIA H100 80GB HBM3", (9, 0))
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:  # matmul.allow_tf32 is a property of a module object: set and restore it by hand
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = False, True
        assert "TF32 matmul off, conv on" in dev.describe_precision(device)
        assert dev.tf32_enabled() == (False, True)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
    assert "no TF32 on this GPU" in dev.describe_precision(fake_gpu("Tesla T4", (7, 5)))


def test_cpu_and_mps_train_in_fp32_without_channels_last():
    for kind in ("cpu", "mps"):
        assert dev.amp_dtype(torch.device(kind)) is None
        assert dev.use_channels_last(torch.device(kind)) is False
        assert dev.use_pin_memory(kind) is False and dev.use_cudnn_benchmark(kind) is False
    line = dev.describe_precision("cpu")
    assert (
        line == f"Training on the CPU ({torch.get_num_threads()} threads): fp32, default memory layout (NCHW), no TF32."
    )
    assert "Apple GPU (MPS): fp32" in dev.describe_precision("mps")


def test_cuda_pins_memory_and_benchmarks_cudnn_only_for_fixed_sizes():
    assert dev.use_pin_memory("cuda") is True
    assert dev.use_cudnn_benchmark("cuda") is True and dev.use_cudnn_benchmark("cuda", fixed_size=False) is False
    assert dev.use_channels_last("cuda") is True and dev.use_channels_last("cuda", channels_last=False) is False


def test_determinism_is_stated_per_device():
    assert "repeat a run exactly" in dev.determinism("cpu")
    assert "not bit for bit" in dev.determinism("cuda") and "cudnn.benchmark" in dev.determinism("cuda")
    assert "does not promise" in dev.determinism("mps")


def test_choose_device_says_the_gpu_precision(fake_gpu, capsys):
    fake_gpu("Tesla T4", (7, 5))
    assert dev.choose_device().type == "cuda"
    assert capsys.readouterr().out == "Using the GPU (Tesla T4): fp16 autocast with gradient scaling " + (
        "(no bf16 tensor cores below compute capability 8.0).\n"
    )


@pytest.mark.parametrize(
    ("total", "batch_size"),
    [(12 * GIB, 16), (T4_BYTES, 32), (40 * GIB, 32), (80 * GIB, 32), (141 * GIB, 32)],
)
def test_gpu_config_keeps_the_full_unet_within_memory(total, batch_size):
    config = memory.gpu_training_config(total)
    assert config["model"] == {"base_channels": 64, "depth": 4} and config["size"] == 256
    assert config["batch_size"] == batch_size
    assert config["estimated_bytes"] <= memory.USABLE_FRACTION * total
    assert config["estimated_bytes"] == int(memory.step_bytes(64, 256, batch_size))


def test_small_gpus_get_a_narrower_unet_and_tiny_ones_a_clear_error():
    assert memory.gpu_training_config(2.5 * GIB)["model"]["base_channels"] < 64
    with pytest.raises(ValueError, match=r"A GPU with 1.0 GiB is too small .* train on the CPU instead"):
        memory.gpu_training_config(1 * GIB)
    with pytest.raises(ValueError, match="total_memory_bytes must be the GPU's memory in bytes, got 0"):
        memory.gpu_training_config(0)
    with pytest.raises(ValueError, match=r"precision must be one of \['fp32', 'mixed'\], got 'fp64'"):
        memory.step_bytes(64, 256, 8, "fp64")


def test_true_fp32_at_480_fits_a_12_gb_gpu_only_with_a_small_batch():
    assert memory.largest_batch(12 * GIB, 64, 480, "fp32", (16, 8, 4, 2, 1)) == 4
    assert memory.fits(12 * GIB, 64, 480, 8, "fp32") is False  # the old default: batch 8, fp32, 480x480
    assert memory.parameters_of(64) == 31_036_481


def saved_bytes_per_image(base_channels, size, dtype=None):
    """Bytes autograd saves for backward per image (batch 3 minus batch 2, parameters excluded)."""

    def saved(batch):
        torch.manual_seed(0)
        model = UNet(base_channels=base_channels)
        storages = {}

        def pack(tensor):
            storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        x, mask = torch.rand(batch, 1, size, size), torch.ones(batch, 1, size, size)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype is not None):
                logits = model(x)
            BCEDiceLoss()(logits.float(), mask)
        return sum(storages.values())

    return saved(3) - saved(2)


@pytest.mark.parametrize(("precision", "dtype"), [("fp32", None), ("mixed", torch.bfloat16)])
def test_the_activation_constant_is_what_autograd_saves(precision, dtype):
    per_channel_pixel = saved_bytes_per_image(8, 64, dtype) / (8 * 64 * 64)
    assert per_channel_pixel == pytest.approx(memory.SAVED_BYTES_PER_CHANNEL_PIXEL[precision], rel=0.05)


def test_fit_turns_cudnn_benchmark_on_only_on_cuda_and_restores_it(monkeypatch):
    from unet_course.train.device import enable_cudnn_benchmark

    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    assert enable_cudnn_benchmark(torch.device("cpu")) is False
    assert torch.backends.cudnn.benchmark is False  # the CPU has no cuDNN: left as it was
    assert enable_cudnn_benchmark(torch.device("cuda")) is False  # returns the value before
    assert torch.backends.cudnn.benchmark is True


def test_training_config_on_a_gpu_is_sized_by_its_memory(monkeypatch):
    from types import SimpleNamespace

    from unet_course.train import training_config
    from unet_course.train.memory import gpu_training_config

    t4 = 15_828_320_256  # a T4's total_memory in bytes
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: SimpleNamespace(total_memory=t4))
    assert training_config(torch.device("cuda")) == gpu_training_config(t4)
    assert training_config("cpu")["model"]["base_channels"] == 8  # elsewhere the fixed configurations
