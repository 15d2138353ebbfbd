import os

import pytest
import torch

from unet_course.train import threads
from unet_course.train.device import choose_device, cpu_quota, cpu_threads


def test_cgroup_v2_quota_is_rounded_up(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_quota(tmp_path) is None


def test_no_cgroup_files_and_garbage_mean_no_quota(tmp_path):
    assert cpu_quota(tmp_path) is None
    (tmp_path / "cpu.max").write_text("nonsense\n")
    assert cpu_quota(tmp_path) is None


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.setattr(threads, "allowed_cores", lambda: 4)


def test_threads_are_capped_by_the_quota(tmp_path, four_cores):
    (tmp_path / "cpu.max").write_text("200000 100000\n")
    assert cpu_threads(tmp_path, busy=0) == 2
    assert cpu_threads(tmp_path / "missing", busy=0) == 4


def test_threads_leave_the_cores_that_busy_processes_hold(tmp_path, four_cores):
    missing = tmp_path / "missing"
    assert [cpu_threads(missing, busy=b) for b in (0, 0.4, 1, 2, 3, 7)] == [4, 4, 3, 2, 1, 1]
    (tmp_path / "cpu.max").write_text("200000 100000\n")
    assert cpu_threads(tmp_path, busy=1) == 1  # quota of 2, one of them busy


def test_busy_elsewhere_reads_the_running_count_without_ourselves(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("3.10 2.00 1.00 3/120 4567\n")
    assert threads.busy_elsewhere(loadavg, samples=3, interval=0) == 2
    loadavg.write_text("0.00 0.00 0.00 1/120 4567\n")
    assert threads.busy_elsewhere(loadavg, samples=1) == 0


def test_without_proc_the_load_average_stands_in(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 1.0, 1.0), raising=False)
    assert threads.busy_elsewhere(tmp_path / "no-loadavg") == 1.5


def test_without_sched_getaffinity_every_core_counts(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # as on macOS
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert threads.allowed_cores() == 6


def test_choose_device_on_cpu_never_runs_more_threads_than_cpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: 0)
    monkeypatch.setattr(threads, "allowed_cores", lambda: 3)
    monkeypatch.setattr(threads, "cpu_quota", lambda root: None)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(64)
        assert choose_device(verbose=False).type == "cpu"
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
