"""Grading: checks re-run in fresh processes, so a notebook cannot grade itself; hangs and crashes
are reported and the other notebooks are still graded."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from unet_course.instructor.grade import checks_of, grade_main, notebook_language, report, run_check

IMPORTS = "import torch\nfrom unet_course.checks import check_dice"
RIGHT = (
    "def dice(probs, mask, smooth=1.0):\n    dims = tuple(range(1, probs.dim()))\n"
    "    return ((2 * (probs * mask).sum(dims) + smooth) / (probs.sum(dims) + mask.sum(dims) + smooth)).mean()"
)
LOSS = RIGHT.replace("return (", "return 1 - (")  # returns the Dice loss: a wrong answer
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def write(folder, name, *sources):
    path = folder / name
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources], metadata=KERNEL), path)
    return path


@pytest.fixture
def solutions(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    for name in ("07_spoof.ipynb", "07_sleep.ipynb", "07_crash.ipynb", "07_loop.ipynb"):
        write(folder, name, IMPORTS, RIGHT, "check_dice(dice)")
    return folder


def test_checks_of_reads_top_level_check_calls():
    notebook = new_notebook(
        cells=[new_code_cell("check_dice(dice)\nx = 1"), new_code_cell("try:\n    check_up(Up)\nexcept: pass")]
    )
    assert checks_of(notebook) == [("check_dice", "dice")]


@pytest.mark.slow
def test_spoofed_hanging_and_crashing_notebooks_are_each_reported(tmp_path, solutions, capsys):
    students = tmp_path / "students"
    students.mkdir()
    spoof = write(
        students,
        "07_spoof.ipynb",
        IMPORTS,
        LOSS,
        "check_dice = lambda fn: print('dice OK')",
        "try:\n    check_dice(dice)\nexcept Exception:\n    print('dice OK')",
    )
    sleep = write(students, "07_sleep.ipynb", IMPORTS, RIGHT, "import time\ntime.sleep(120)", "check_dice(dice)")
    crash = write(students, "07_crash.ipynb", IMPORTS, RIGHT, "import os\nos._exit(1)", "check_dice(dice)")
    code = grade_main([str(spoof), str(sleep), str(crash)], str(solutions), notebook_limit=8, check_limit=30)
    out = capsys.readouterr().out
    assert code == 1
    spoofed, slept, crashed = out.split("07_")[1:]
    assert "notebook: ran" in spoofed
    assert "check_dice(dice): failed: Your dice returns the Dice loss, 1 - Dice" in spoofed
    assert "0 of 1 checks passed" in spoofed
    assert "notebook: timed out after 8 s" in slept and "check_dice(dice): passed: dice OK" in slept
    assert "notebook: crashed" in crashed and "check_dice(dice): passed" in crashed


def test_a_check_that_never_finishes_is_stopped(tmp_path):
    looping = "def dice(probs, mask, smooth=1.0):\n    while True:\n        pass"
    write(tmp_path, "07_loop.ipynb", IMPORTS, looping, "check_dice(dice)")
    result = run_check(tmp_path / "07_loop.ipynb", tmp_path, "check_dice", "dice", limit=4)
    assert (result.status, result.message) == ("timed out", "no answer within 4 s (stopped)")


def test_a_missing_definition_and_a_raising_cell_are_reported(tmp_path):
    write(tmp_path, "07_none.ipynb", IMPORTS, "check_dice(dice)")
    result = run_check(tmp_path / "07_none.ipynb", tmp_path, "check_dice", "dice", limit=60)
    assert (result.status, result.message) == ("missing", "the notebook defines no `dice`")
    write(tmp_path, "07_bad.ipynb", IMPORTS, "def dice(probs, mask):\n    return 1\nraise ValueError('oops')")
    result = run_check(tmp_path / "07_bad.ipynb", tmp_path, "check_dice", "dice", limit=60)
    assert (result.status, result.message) == ("error", "a definition cell raised ValueError: oops")


def test_report_lines():
    from unet_course.instructor.grade import CheckResult

    lines = report("a.ipynb", "ran", [CheckResult("check_dice", "dice", "passed", "dice OK")])
    assert lines == ["a.ipynb", "  notebook: ran", "  check_dice(dice): passed: dice OK", "  1 of 1 checks passed"]


ZH_SETUP = 'import os\nos.environ["UNET_COURSE_LANGUAGE"] = "zh"'


def test_the_notebooks_language_setting_is_found():
    zh = new_notebook(cells=[new_code_cell(ZH_SETUP), new_code_cell(IMPORTS)])
    assert notebook_language(zh) == "zh"
    assert notebook_language(new_notebook(cells=[new_code_cell(IMPORTS)])) is None


@pytest.mark.slow
def test_a_chinese_notebook_is_graded_in_chinese_unless_the_grader_chooses(tmp_path, monkeypatch):
    path = write(tmp_path, "07_zh.ipynb", ZH_SETUP, IMPORTS, LOSS, "check_dice(dice)")
    language = notebook_language(nbformat.read(path, as_version=4))
    monkeypatch.delenv("UNET_COURSE_LANGUAGE", raising=False)
    chinese = run_check(path, tmp_path, "check_dice", "dice", limit=60, language=language)
    assert chinese.status == "failed" and re.search(r"[\u4e00-\u9fff]", chinese.message), chinese
    monkeypatch.setenv("UNET_COURSE_LANGUAGE", "en")  # the instructor's own choice wins
    english = run_check(path, tmp_path, "check_dice", "dice", limit=60, language=language)
    assert english.status == "failed" and not re.search(r"[\u4e00-\u9fff]", english.message), english
