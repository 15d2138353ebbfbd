#!/usr/bin/env python3
"""Set up the course and open it, or set it up and run every check.

    python3 course.py lab     # create .venv, install requirements.txt, open JupyterLab
    python3 course.py test    # create .venv, install requirements.txt, run all tests + nbval
    python3 course.py execute [NOTEBOOK ...]   # re-run notebooks top to bottom, store outputs

Anything after the command goes to JupyterLab or pytest (e.g. ``python3 course.py test -x``).
Only the standard library is used here, so it runs with a bare Python 3.10+.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("UNET_COURSE_VENV", ROOT / ".venv"))
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements-installed"


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*command, **kwargs):
    print("+", " ".join(map(str, command)), flush=True)
    return subprocess.run([str(c) for c in command], cwd=ROOT, **kwargs).returncode


def set_up():
    """Create the virtual environment and install requirements.txt, once per version of that file."""
    if sys.version_info < (3, 10):
        sys.exit(f"The course needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    if not venv_python().exists():
        print(f"Creating a virtual environment in {VENV.name}/ ...", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if run(venv_python(), "-m", "pip", "install", "--upgrade", "pip", "--quiet") != 0:
        sys.exit("Upgrading pip failed: see the messages above.")
    if run(venv_python(), "-m", "pip", "install", "-r", REQUIREMENTS) != 0:
        sys.exit("Installing requirements.txt failed: see the messages above (is the network reachable?).")
    STAMP.write_text(digest)


def lab(args):
    first = "notebooks/00_overview_and_setup.ipynb"
    return run(venv_python(), "-m", "jupyter", "lab", *(args or [first]))


def test(args):
    return run(venv_python(), "-m", "pytest", *args)


def execute(args):
    """Re-run notebooks in a fresh kernel each, top to bottom, on CPU, and store their outputs."""
    notebooks = args or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0"}  # stored outputs are a CPU run
    for notebook in notebooks:
        code = run(
            venv_python(),
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--ExecutePreprocessor.timeout=600",
            notebook,
            env=env,
        )
        if code != 0:
            return code
    return 0


def main(argv):
    commands = {"lab": lab, "test": test, "execute": execute}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    set_up()
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
