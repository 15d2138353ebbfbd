"""binder/: the Binder (repo2docker) configuration, checked as far as a machine without Docker allows.

- Fast: binder/requirements.txt pins the course's runtime packages exactly as requirements.txt
  does, with a CPU-only torch that requirements.txt's range accepts; runtime.txt and postBuild
  have the form repo2docker reads.
- Slow: ``jupyter-repo2docker --no-build`` (installed in a venv of its own, never the project's)
  reads the configuration offline and writes the Dockerfile it would build; the test checks that
  it picked Python 3.11, installs binder/requirements.txt before copying the repository (so the
  file names no local path) and runs postBuild. No image is built: there is no Docker daemon here.
- Slow: a fresh venv built the way repo2docker's steps would build the image: the runtime.txt
  Python, ``pip install -r binder/requirements.txt``, ``binder/postBuild`` run from a copy of the
  repository; then JupyterLab from that venv starts quiet (postBuild's settings are in the page it
  serves) and every notebook runs top to bottom, in course order, in that venv's kernel.

One honest difference from Binder: this machine cannot reach PyTorch's CPU index (no network
but the package registries), and its pip serves torch 2.13.0+cpu from local wheels. So the venv
gets ``torch==2.13.0`` the local way first, then binder/requirements.txt with its
``--extra-index-url`` line (asserted to be exactly PyTorch's CPU index) left out; the file's
``torch==2.13.0+cpu`` pin is then already satisfied by the same build Binder would download.
"""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from browser_helpers import isolated_jupyter_env, lab_server, language_packs, page_config
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
TORCH_CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
REPO2DOCKER = "jupyter-repo2docker==2026.4.0"
BINDER_ONLY = {"notebook"}  # Binder's base image ships Notebook 7, which must move along with the Lab pin


def requirements(path):
    """{canonical name: Requirement} for the package lines of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def runtime_packages():
    """The course's runtime packages: requirements.txt's lines before its "checking the course" part."""
    text = (ROOT / "requirements.txt").read_text()
    runtime_part = text.split("# checking the course", 1)[0]
    return {
        canonicalize_name(Requirement(line).name) for line in runtime_part.splitlines() if line and line[0].isalpha()
    }


def test_binder_pins_agree_with_requirements_txt():
    top, binder = requirements(ROOT / "requirements.txt"), requirements(BINDER / "requirements.txt")
    runtime = runtime_packages()
    assert {"torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel"} <= runtime
    assert set(binder) == runtime | BINDER_ONLY, "binder/requirements.txt must list the course's runtime packages"
    for name in runtime - {"torch"}:
        assert binder[name].specifier == top[name].specifier, f"{name}: binder {binder[name]} vs {top[name]}"
    (torch_pin,) = binder["torch"].specifier
    assert torch_pin.operator == "==" and torch_pin.version.endswith("+cpu"), "Binder needs the CPU-only torch"
    assert top["torch"].specifier.contains(torch_pin.version), f"{torch_pin} is outside requirements.txt's range"
    options = [line for line in (BINDER / "requirements.txt").read_text().splitlines() if line.startswith("-")]
    assert options == [TORCH_CPU_INDEX], "the only pip option is PyTorch's CPU index"


def test_runtime_and_post_build_have_the_form_repo2docker_reads():
    assert re.fullmatch(r"python-3\.\d+\n?", (BINDER / "runtime.txt").read_text())
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK) and post_build.read_text().startswith("#!/usr/bin/env bash")
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    local = [line for line in lines if line.startswith(("-e", ".", "/", "file:"))]
    assert not local, f"{local}: repo2docker installs this file before it copies the repository in"


def runtime_python(require):
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    python = shutil.which(f"python{version}")
    require(
        python is not None,
        f"python{version} is not on the PATH (binder/runtime.txt asks for Python {version})",
        f"install python{version} (e.g. `sudo apt-get install python{version}-venv`)",
    )
    return python, version


def package_index_answers(python, tmp_path):
    """True if pip in ``python`` can fetch a pinned package of binder/requirements.txt (False when offline)."""
    name = next(n for n in requirements(BINDER / "requirements.txt") if n != "torch")
    pin = requirements(BINDER / "requirements.txt")[name]
    probe = [python, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp_path / "probe", str(pin)]
    try:
        return subprocess.run([str(c) for c in probe], capture_output=True, timeout=120).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def run(command, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def copy_repository(destination):
    """What a clone of the working tree holds (tracked and not-ignored files), as repo2docker copies it in."""
    listing = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT).stdout
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@pytest.mark.slow
def test_repo2docker_reads_the_binder_configuration(tmp_path, require):
    python, version = runtime_python(require)
    tools = tmp_path / "repo2docker-venv"
    run([python, "-m", "venv", tools])
    require(
        package_index_answers(tools / "bin/python", tmp_path),
        "pip cannot fetch packages (offline, or no package index configured) to install repo2docker",
        "run this test with a network connection or a local package index (pip's index-url / find-links)",
    )
    run([tools / "bin/python", "-m", "pip", "install", "--quiet", REPO2DOCKER])
    repo = copy_repository(tmp_path / "repo")
    result = run(
        [tools / "bin/jupyter-repo2docker", "--no-build", "--no-run", "--debug", "--user-id", "1000",
         "--user-name", "jovyan", repo],
        cwd=tmp_path,
    )  # fmt: skip
    dockerfile = result.stdout + result.stderr
    assert f"python={version}" in dockerfile
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    assert install in dockerfile
    # installed before the repository is copied in, i.e. the file names no local path
    assert dockerfile.index(install) < dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    assert "./binder/postBuild" in dockerfile
    assert "setup.py" not in dockerfile  # with a binder/ folder the package comes from postBuild only


PROBE = """
import json, sys
import ipywidgets, matplotlib, torch, unet_course
print(json.dumps({"prefix": sys.prefix, "torch": torch.__version__, "unet_course": unet_course.__file__,
                  "ipywidgets": ipywidgets.__version__, "cuda": torch.cuda.is_available()}))
"""

EXECUTE = """
import json, sys, time
import nbclient, nbformat
path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.insert(0, nbformat.v4.new_code_cell({probe!r}))
start = time.perf_counter()
resources = {{"metadata": {{"path": sys.argv[3]}}}}
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
probe = json.loads(nb.cells[0].outputs[0]["text"])
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
json.dump({{"probe": probe, "errors": len(errors), "seconds": time.perf_counter() - start}}, open(out, "w"))
"""


@pytest.mark.slow
def test_binder_environment_builds_and_runs_every_notebook(tmp_path, require):
    timings = {}
    python, version = runtime_python(require)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks/NN_*.ipynb to run in the Binder environment"
    env = isolated_jupyter_env(tmp_path)
    # as in the image, imports may write .pyc files (installed with --no-compile, the first kernel
    # writes them); with PYTHONDONTWRITEBYTECODE every kernel would compile torch's Python again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    venv = tmp_path / "binder-venv"
    bin_dir = venv / "bin"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"  # as in the image: the environment's tools first

    def step(name, command, **kwargs):
        start = time.perf_counter()
        result = run(command, env=env, **kwargs)
        timings[name] = round(time.perf_counter() - start, 1)
        print(f"binder environment: {name} in {timings[name]} s", flush=True)
        return result

    step("venv", [python, "-m", "venv", venv])
    require(
        package_index_answers(bin_dir / "python", tmp_path),
        "pip cannot fetch binder/requirements.txt's packages (offline, or no package index configured)",
        "run this test with a network connection or a local package index (pip's index-url / find-links)",
    )
    # --no-compile: .pyc files are written on first import instead (see above), a quicker install
    pip = [bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-compile"]
    step("torch (local wheel)", [*pip, "torch==2.13.0"])
    binder_requirements = (BINDER / "requirements.txt").read_text()
    assert TORCH_CPU_INDEX in binder_requirements
    offline = tmp_path / "requirements-without-torch-index.txt"
    offline.write_text(binder_requirements.replace(TORCH_CPU_INDEX, "# (PyTorch's CPU index: not reachable here)"))
    step("binder/requirements.txt", [*pip, "-r", offline])
    repo = copy_repository(tmp_path / "repo")
    step("postBuild", [repo / "binder/postBuild"], cwd=repo)
    step("pip check", [bin_dir / "python", "-m", "pip", "check"])

    probe = json.loads(step("import", [bin_dir / "python", "-c", PROBE], cwd=tmp_path).stdout)
    assert Path(probe["prefix"]) == venv
    assert probe["torch"] == next(iter(requirements(BINDER / "requirements.txt")["torch"].specifier)).version
    assert Path(probe["unet_course"]).is_relative_to(repo)  # the editable install of the copied repository
    assert run([bin_dir / "python", "-c", "import sys; print(sys.version)"]).stdout.startswith(version)

    start = time.perf_counter()
    with lab_server(bin_dir / "python", repo, tmp_path / "lab", env=env) as (url, token):
        config = page_config(url, token)
        languages = language_packs(url, token)
    timings["lab start and stop"] = round(time.perf_counter() - start, 1)
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]  # a list on the page
    assert config["buildCheck"] is False and config["buildAvailable"] is False
    assert {"en", "zh_CN"} <= set(languages), f"Settings > Language should offer Simplified Chinese: {languages}"

    for notebook in notebooks:  # in course order, each in a fresh kernel, as a student on Binder runs them
        copied, report = repo / "notebooks" / notebook.name, tmp_path / f"{notebook.stem}.json"
        step(notebook.name, [bin_dir / "python", "-c", EXECUTE.format(probe=PROBE), copied, report, copied.parent])
        result = json.loads(report.read_text())
        assert Path(result["probe"]["prefix"]) == venv, (
            f"{notebook.name}: the kernel must run in the Binder environment"
        )
        assert result["errors"] == 0, f"{notebook.name}: {result['errors']} cell(s) raised in the Binder environment"
    timings["total"] = round(sum(timings.values()), 1)
    print("binder environment timings (s):", json.dumps(timings))
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "binder_timings.json").write_text(json.dumps(timings, indent=1) + "\n")
