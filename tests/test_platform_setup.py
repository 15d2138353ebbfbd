"""The Colab/Kaggle setup cell (tools/setup_cell.py) and the badges, in every notebook.

- Fast: every notebook (and every student copy) has the same setup cell right after its first
  markdown cell and the two badges under its title; the tool is idempotent and keeps the cell's
  outputs. The cell's code, run in this process with ``subprocess`` faked: outside a platform it
  starts no process and prints nothing; on Colab (module or environment variable) and Kaggle it
  runs exactly one pip command that pins the installed torch with a constraints file, installs
  ``UNET_COURSE_SOURCE`` or the GitHub repository, and names no index (pip's own variables apply).
- Slow: a simulated platform. A fresh venv gets torch 2.13.0 and Colab-like versions of what the
  platforms ship (numpy 2.0, matplotlib 3.10, ipywidgets 7.7, ...), not the package. The cell, run
  there with ``KAGGLE_KERNEL_RUN_TYPE=Interactive`` and ``UNET_COURSE_SOURCE`` set to a copy of the
  working tree, must add only the package and its missing dependency (torchinfo), leave torch's
  files untouched (RECORD, mtime of torch/__init__.py) and every other package at its version;
  then notebook 00 runs top to bottom in a kernel of that venv (nbclient), and both widget
  explorers build and react under ipywidgets 7.7.
"""

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from browser_helpers import isolated_jupyter_env

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "tools" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)

PLATFORM_VARIABLES = ("COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE", "UNET_COURSE_SOURCE")
DEFAULT_SOURCE = "git+https://github.com/unet-course/unet-course"


def notebook_paths():
    solutions = setup_cell.notebook_files(ROOT)
    students = sorted((ROOT / "notebooks" / "student").glob("*.ipynb"))
    students += sorted((ROOT / "notebooks" / "zh" / "student").glob("*.ipynb"))
    return solutions + students


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_every_notebook_has_the_setup_cell_after_its_first_markdown_cell_and_the_badges(path):
    cells = read(path)["cells"]
    first = next(n for n, c in enumerate(cells) if c["cell_type"] == "markdown")
    setup = cells[first + 1]
    assert setup["id"] == setup_cell.SETUP_ID and setup["cell_type"] == "code"
    # a student copy keeps its solution notebook's markdown, so its badges open the solution notebook
    relative = path.relative_to(ROOT).as_posix()
    solution = relative.replace("notebooks/zh/student/", "notebooks/zh/").replace("notebooks/student/", "notebooks/")
    assert "".join(setup["source"]) == setup_cell.setup_source(solution)
    assert setup_cell.SETUP_SOURCE in setup_cell.setup_source(solution)  # the Chinese edition only adds its language
    assert ('UNET_COURSE_LANGUAGE"] = "zh"' in "".join(setup["source"])) == solution.startswith("notebooks/zh/")
    assert [c.get("id") for c in cells].count(setup_cell.SETUP_ID) == 1
    title = "".join(cells[first]["source"]).split("\n")
    assert title[0].startswith("# ") and title[1:4] == ["", setup_cell.badge_line(solution), ""]


def test_the_tool_reports_every_notebook_up_to_date():
    assert setup_cell.stale(ROOT) == {}, "run: python3 tools/setup_cell.py, then python -m unet_course.exercises build"
    assert len(setup_cell.notebook_files(ROOT)) >= 9


def test_badges_open_the_notebook_on_github_main_in_colab_and_kaggle():
    line = setup_cell.badge_line("notebooks/07_training.ipynb")
    assert line == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/unet-course/unet-course/blob/main/notebooks/07_training.ipynb) "
        "[![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)]"
        "(https://kaggle.com/kernels/welcome?src=https://github.com/unet-course/unet-course/blob/main/"
        "notebooks/07_training.ipynb)"
    )


def small_notebook():
    title = {"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# 09 · Title\n", "\n", "Text."]}
    code = {"cell_type": "code", "execution_count": 1, "id": "c", "metadata": {}, "outputs": [], "source": ["1"]}
    return {"cells": [title, code], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_the_tool_is_idempotent_keeps_the_cells_outputs_and_moves_it_back_in_place():
    once = setup_cell.updated(small_notebook(), "notebooks/09_x.ipynb")
    assert [c["id"] for c in once["cells"]] == ["t", setup_cell.SETUP_ID, "c"]
    assert (
        "".join(once["cells"][0]["source"])
        == f"# 09 · Title\n\n{setup_cell.badge_line('notebooks/09_x.ipynb')}\n\nText."
    )
    assert setup_cell.updated(once, "notebooks/09_x.ipynb") == once
    run_once = json.loads(json.dumps(once))
    run_once["cells"][1].update(execution_count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": []}])
    run_once["cells"].append(run_once["cells"].pop(1))  # someone moved it to the end
    again = setup_cell.updated(run_once, "notebooks/09_x.ipynb")
    assert [c["id"] for c in again["cells"]] == ["t", setup_cell.SETUP_ID, "c"]
    assert again["cells"][1]["execution_count"] == 1 and again["cells"][1]["outputs"] == run_once["cells"][2]["outputs"]
    assert small_notebook()["cells"][0]["source"][0] == "# 09 · Title\n"  # the input is left alone


def test_the_tool_names_a_notebook_without_markdown_and_a_folder_without_notebooks(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"notebooks/09_x.ipynb has no markdown cell: the badges go into its first"):
        setup_cell.updated({"cells": [small_notebook()["cells"][1]]}, "notebooks/09_x.ipynb")
    with pytest.raises(SystemExit):
        setup_cell.main(["--root", str(tmp_path)])
    assert f"no notebooks/ folder in {tmp_path}" in capsys.readouterr().err


def test_check_mode_names_a_stale_notebook_and_writing_fixes_it(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "09_x.ipynb"
    path.write_text(setup_cell.to_text(small_notebook()), encoding="utf-8")
    assert setup_cell.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: notebooks/09_x.ipynb" in capsys.readouterr().out
    assert setup_cell.main(["--root", str(tmp_path)]) == 0
    assert setup_cell.main(["--check", "--root", str(tmp_path)]) == 0
    assert "1 notebooks up to date." in capsys.readouterr().out


class FakeSubprocess:
    """Stands in for ``subprocess.run``; records each command and the constraints file's text."""

    def __init__(self, returncode=0):
        self.commands, self.constraints, self.returncode = [], [], returncode

    def __call__(self, command, **kwargs):
        assert kwargs == {}, "the pip call passes no env= or other options: pip's own variables apply"
        self.commands.append(command)
        self.constraints.append(Path(command[command.index("-c") + 1]).read_text())
        return subprocess.CompletedProcess(command, self.returncode)


def no_process(*args, **kwargs):
    raise AssertionError(f"the setup cell started a process outside a platform: {args}")


@pytest.fixture
def no_platform(monkeypatch):
    for name in PLATFORM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "Popen", no_process)
    return monkeypatch


def run_cell():
    namespace = {}
    exec(compile(setup_cell.SETUP_SOURCE, "<setup cell>", "exec"), namespace)
    return namespace


def test_outside_a_platform_the_cell_starts_nothing_and_prints_nothing(no_platform, capsys):
    namespace = run_cell()
    assert capsys.readouterr() == ("", "")
    assert sorted(set(namespace) - {"__builtins__"}) == ["os", "sys"]


def package_missing(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "unet_course" else real(name, *a))


@pytest.mark.parametrize("platform", ["google.colab module", "COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE"])
def test_on_a_platform_one_pip_call_installs_the_repository_with_torch_pinned(no_platform, capsys, platform):
    if platform == "google.colab module":
        no_platform.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        no_platform.setenv(platform, "Interactive")
    package_missing(no_platform)
    fake = FakeSubprocess()
    no_platform.setattr(subprocess, "run", fake)
    torch_version = importlib.metadata.version("torch")
    namespace = run_cell()
    (command,) = fake.commands
    constraints = command[command.index("-c") + 1]
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", "-c", constraints, DEFAULT_SOURCE]
    assert fake.constraints == [f"torch=={torch_version}\n"]
    assert not Path(constraints).exists(), "the constraints file is removed with its temporary folder"
    assert not any("index" in part for part in command)
    assert (
        capsys.readouterr().out == f"Installed unet_course from {DEFAULT_SOURCE}; torch {torch_version} is unchanged.\n"
    )
    assert namespace["torch_version"] == torch_version


def test_the_source_can_be_overridden_and_an_installed_package_is_not_installed_again(no_platform, capsys):
    no_platform.setenv("KAGGLE_KERNEL_RUN_TYPE", "Batch")
    no_platform.setenv("UNET_COURSE_SOURCE", "/mirror/unet-course")
    fake = FakeSubprocess()
    no_platform.setattr(subprocess, "run", fake)
    run_cell()  # unet_course is importable here (the tests import it): nothing to do
    assert fake.commands == [] and capsys.readouterr().out == ""
    package_missing(no_platform)
    run_cell()
    assert fake.commands[0][-1] == "/mirror/unet-course"
    assert "Installed unet_course from /mirror/unet-course;" in capsys.readouterr().out


def test_a_failed_pip_call_and_a_missing_torch_raise_clear_errors(no_platform):
    no_platform.setenv("COLAB_RELEASE_TAG", "release-colab-2026")
    package_missing(no_platform)
    no_platform.setattr(subprocess, "run", FakeSubprocess(returncode=1))
    with pytest.raises(
        RuntimeError,
        match=re.escape(f"pip could not install {DEFAULT_SOURCE}: see above (on Kaggle: Settings > Internet on)."),
    ):
        run_cell()
    real = importlib.util.find_spec
    no_platform.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in ("unet_course", "torch") else real(name, *a)
    )
    with pytest.raises(ModuleNotFoundError, match="No torch here: choose a runtime that has PyTorch"):
        run_cell()


# --- the simulated platform (slow) ---------------------------------------------------------------

# what Colab ships (and Kaggle, roughly), older than requirements.txt's pins: the package's lower
# bounds must accept them, so that installing it changes none of them
PLATFORM_PACKAGES = [
    "numpy==2.0.2",
    "matplotlib==3.10.0",
    "ipywidgets==7.7.1",
    "pillow==11.3.0",
    "tqdm==4.67.1",
    "tifffile==2025.6.11",
]
KERNEL_PACKAGES = ["ipykernel", "nbclient"]

SNAPSHOT = """
import hashlib, importlib.metadata, importlib.util, json, os
torch = importlib.metadata.distribution("torch")
record = torch.read_text("RECORD")
init = torch.locate_file("torch/__init__.py")
print(json.dumps({
    "versions": {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()},
    "torch_record": hashlib.sha256(record.encode()).hexdigest(),
    "torch_init_mtime": os.stat(init).st_mtime_ns,
    "unet_course_found": importlib.util.find_spec("unet_course") is not None,
}))
"""

WIDGETS = """
import json, torch
from unet_course.widgets import conv_transpose_explorer, threshold_explorer
box = conv_transpose_explorer(size=3)
sliders, label, image = box.children[0].children, box.children[1], box.children[4]
sizes = [label.value]
sliders[0].value = 4
sizes.append(label.value)
probs, mask = torch.tensor([[[[0.9, 0.4], [0.2, 0.1]]]]), torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
explorer = threshold_explorer(torch.rand(1, 1, 2, 2), probs, mask)
slider, dice = explorer.children[0].children[0], explorer.children[1]
dices = [dice.value]
slider.value = 0.3
dices.append(dice.value)
print(json.dumps({"sizes": sizes, "png": bytes(image.value)[:4].hex(), "dices": dices}))
"""

EXECUTE = """
import json, sys
import nbclient, nbformat
path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell("import torch, unet_course; print(unet_course.__file__, torch.__version__)"))
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[3]}}).execute()
setup = next(c for c in nb.cells if c.get("id") == "platform-setup")
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
json.dump({"setup_outputs": setup.outputs, "errors": [e["ename"] for e in errors],
           "probe": nb.cells[-1].outputs[0]["text"].split()}, open(out, "w"))
"""


def run(command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def copy_working_tree(destination):
    """The repository's tracked and not-ignored files, as a clone of this working tree would hold them."""
    listing = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT).stdout
    for name in filter(None, listing.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


@pytest.mark.slow
def test_simulated_kaggle_installs_only_the_package_keeps_torch_and_runs_notebook_00(tmp_path):
    env = isolated_jupyter_env(tmp_path)
    for name in PLATFORM_VARIABLES:
        env.pop(name, None)
    venv = tmp_path / "platform-venv"
    python = venv / "bin" / "python"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    run([sys.executable, "-m", "venv", venv])
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile"]
    run([*pip, "torch==2.13.0"], env=env)  # the platform's torch, installed before anything else
    run([*pip, *PLATFORM_PACKAGES, *KERNEL_PACKAGES], env=env)
    before = json.loads(run([python, "-c", SNAPSHOT], env=env, cwd=tmp_path).stdout)
    assert not before["unet_course_found"] and before["versions"]["ipywidgets"] == "7.7.1"

    cell = setup_cell.SETUP_SOURCE
    quiet = run([python, "-c", cell], env=env, cwd=tmp_path)  # not a platform: nothing happens
    assert (quiet.stdout, json.loads(run([python, "-c", SNAPSHOT], env=env, cwd=tmp_path).stdout)) == ("", before)

    repo = copy_working_tree(tmp_path / "repo")
    kaggle = {**env, "KAGGLE_KERNEL_RUN_TYPE": "Interactive", "UNET_COURSE_SOURCE": str(repo)}
    installed = run(
        [python, "-c", cell + "\nimport unet_course\nprint(unet_course.__file__)"], env=kaggle, cwd=tmp_path
    )
    message, location = installed.stdout.splitlines()
    assert message == f"Installed unet_course from {repo}; torch 2.13.0+cpu is unchanged."
    assert Path(location).is_relative_to(venv), "installed into the venv (not imported from the copy)"
    after = json.loads(run([python, "-c", SNAPSHOT], env=env, cwd=tmp_path).stdout)
    added = {name: after["versions"][name] for name in set(after["versions"]) - set(before["versions"])}
    assert sorted(added) == ["torchinfo", "unet-course"], f"pip installed more than the package: {added}"
    assert {name: after["versions"][name] for name in before["versions"]} == before["versions"], "a version changed"
    assert (after["torch_record"], after["torch_init_mtime"]) == (before["torch_record"], before["torch_init_mtime"])
    run([python, "-m", "pip", "check"], env=env)

    again = run([python, "-c", cell], env=kaggle, cwd=tmp_path)
    assert again.stdout == "", "with the package installed, the cell does nothing"

    widgets = json.loads(run([python, "-c", WIDGETS], env=env, cwd=tmp_path).stdout.splitlines()[-1])  # after figures
    assert widgets["sizes"] == ["output size: 6", "output size: 8"] and widgets["png"] == "89504e47"
    assert widgets["dices"][0].startswith("Dice 0.667") and widgets["dices"][1].startswith("Dice 1.000")

    notebook, report = repo / "notebooks" / "00_overview_and_setup.ipynb", tmp_path / "00.json"
    run([python, "-c", EXECUTE, notebook, report, notebook.parent], env=kaggle, cwd=tmp_path)
    result = json.loads(report.read_text())
    assert result["errors"] == [] and result["setup_outputs"] == []
    assert Path(result["probe"][0]).is_relative_to(venv) and result["probe"][1] == "2.13.0+cpu"
