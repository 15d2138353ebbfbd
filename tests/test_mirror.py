"""course.py's setup installs through a PyPI mirror named by pip's own environment variable (README.zh-CN.md).

A mirror is played by a PEP 503 "simple" index on 127.0.0.1 that holds one package found nowhere else;
course.py is copied to a temporary folder whose requirements.txt names only that package.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = "unet_course_mirror_probe"


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder, version="1.0"):
    """A minimal pure-Python wheel of PROBE (one module that knows its version)."""
    info = f"{PROBE}-{version}.dist-info"
    files = {
        f"{PROBE}.py": f'VERSION = "{version}"\n'.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PROBE}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{PROBE}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in {**files, f"{info}/RECORD": record.encode()}.items():
            wheel.writestr(name, data)
    return path


@pytest.mark.slow
def test_setup_installs_from_the_mirror_in_pip_index_url(tmp_path, http_directory):
    served, url = http_directory
    project = served / "simple" / PROBE.replace("_", "-")
    project.mkdir(parents=True)
    wheel = build_wheel(project)
    (project / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "course.py", course)
    shutil.copy(ROOT / "pyproject.toml", course)
    (course / "requirements.txt").write_text(f"{PROBE}==1.0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_INDEX_URL=f"{url}/simple",  # what a student in China sets for a mirror (README.zh-CN.md)
        PIP_CONFIG_FILE=os.devnull,  # this machine's own pip configuration plays no part
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UNET_COURSE_VENV=str(tmp_path / "venv"),
    )
    setup = [sys.executable, "-c", "import course; course.set_up()"]
    result = subprocess.run(setup, cwd=course, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    probe = subprocess.run([python, "-c", f"import {PROBE}; print({PROBE}.VERSION)"], capture_output=True, text=True)
    assert probe.stdout.strip() == "1.0", probe.stderr  # found only on the "mirror"

    env["PIP_INDEX_URL"] = f"{url}/nowhere"  # a mirror that lacks the package: setup stops and says so
    (course / "requirements.txt").write_text(f"{PROBE}==2.0\n")
    result = subprocess.run(setup, cwd=course, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "Installing requirements.txt failed" in result.stdout + result.stderr
