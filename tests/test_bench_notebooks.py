"""The notebooks benchmark on small generated notebooks: peak memory and time are the kernel's own."""

import json

import nbformat
import pytest

from benchmarks import notebooks as bench
from benchmarks.__main__ import main

pytestmark = pytest.mark.slow

KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_markdown_cell("# generated")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    write_notebook(folder / "00_small.ipynb", "x = 1 + 1\nx")
    # 300 MB written page by page, so it is resident; then a second of sleep
    write_notebook(
        folder / "01_big.ipynb", "import numpy as np\nbig = np.ones(300 * 2**20 // 8)", "import time\ntime.sleep(1)"
    )
    write_notebook(folder / "02_raises.ipynb", "1 / 0", "print('never')")
    (folder / "scratch.txt").write_text("a file beside the notebooks")
    write_notebook(folder / "03_writes.ipynb", "open('written.txt', 'w').write(open('scratch.txt').read())")
    paths = sorted(folder.glob("*.ipynb"))
    result = bench.run([str(p) for p in paths])
    result["folder"] = folder
    return result


def test_reports_each_notebook_with_peak_memory_and_time(figures):
    assert set(figures["notebooks"]) == {"00_small", "01_big", "02_raises", "03_writes"}
    small, big = figures["notebooks"]["00_small"], figures["notebooks"]["01_big"]
    assert small["error"] is None and small["within_budget"]
    assert big["peak_mb"] - small["peak_mb"] > 250  # the kernel's own high-water mark, not this process's
    assert big["seconds"] >= 1.0 and big["seconds"] > small["seconds"] - 1.0
    assert figures["total_s"] == pytest.approx(sum(r["seconds"] for r in figures["notebooks"].values()), abs=0.1)
    assert figures["max_peak_mb"] == big["peak_mb"]


def test_baseline_imports_torch_and_the_package(figures):
    baseline = figures["baseline_import_only"]
    assert baseline["error"] is None
    assert baseline["peak_mb"] > figures["notebooks"]["00_small"]["peak_mb"]  # torch is big
    assert 0 < baseline["seconds"] < 120


def test_a_failing_notebook_is_reported_and_out_of_budget(figures):
    raises = figures["notebooks"]["02_raises"]
    assert "ZeroDivisionError" in raises["error"] and raises["within_budget"] is False
    assert figures["within_budget"] is False


def test_notebooks_run_in_a_copy_of_their_folder(figures):
    assert figures["notebooks"]["03_writes"]["error"] is None  # it found scratch.txt beside it
    assert not (figures["folder"] / "written.txt").exists()  # and wrote into the copy


def test_budget_is_within_when_every_notebook_is(tmp_path, capsys):
    path = write_notebook(tmp_path / "00_ok.ipynb", "print('ok')")
    assert main(["notebooks", str(path), "--no-baseline"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["benchmark"] == "notebooks" and line["within_budget"] is True
    assert line["budget_peak_mb"] == 1536 and line["budget_total_s"] == 300
    assert "baseline_import_only" not in line and "machine" in line


def test_peak_memory_reads_linux_proc(tmp_path):
    import os

    assert bench.kernel_peak_mb(os.getpid()) > 10
    assert bench.kernel_peak_mb(2**22 + 12345) is None  # no such process
