import torch

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


def test_threads_are_capped_by_the_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert cpu_threads(tmp_path) == 1
    assert 1 <= cpu_threads(tmp_path / "missing") <= (len(__import__("os").sched_getaffinity(0)))


def test_choose_device_on_cpu_never_runs_more_threads_than_cpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(64)
        assert choose_device(verbose=False).type == "cpu"
        assert torch.get_num_threads() == min(64, cpu_threads())
    finally:
        torch.set_num_threads(before)
