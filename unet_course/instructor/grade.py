"""Grade students' notebooks so that the notebook cannot grade itself.

For each notebook: copy it into a fresh temporary folder; run it top to bottom there in a
subprocess (one kernel) with a time limit for the whole notebook, reporting a hang or a crash
and going on to the next notebook; then, for every check the solution notebook asks for,
start a fresh Python process that imports the checkers first, runs only the student's import
cells and the cells that define the checked classes and functions, and calls the real
checker on them, with a time limit per check. A notebook that redefines ``check_double_conv``
or wraps its check cell in ``try/except`` changes only what its own cells show.
"""

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds unet_course/
NOTEBOOK_LIMIT, CHECK_LIMIT = 600.0, 60.0


@dataclass
class CheckResult:
    """One check of a graded notebook, as the fresh process found it."""

    check: str  # 'check_double_conv'
    target: str  # 'DoubleConv': the student's class or function it checks
    status: str  # 'passed', 'failed', 'missing', 'error' or 'timed out'
    message: str


def checks_of(notebook):
    """[(check, target)] for every top-level `check_x(Name)` call in the notebook's code cells."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            call = node.value if isinstance(node, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id.startswith("check_")
                and len(call.args) == 1
                and isinstance(call.args[0], ast.Name)
            ):
                found.append((call.func.id, call.args[0].id))
    return found


LANGUAGE_SETTING = re.compile(r"""os\.environ\[["']UNET_COURSE_LANGUAGE["']\]\s*=\s*["'](\w+)["']""")


def notebook_language(notebook):
    """The language a notebook's own cells choose for the course's messages (its setup cell), or None."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and (found := LANGUAGE_SETTING.search(cell.source)):
            return found.group(1)
    return None


def _environment(language=None):
    """The subprocesses' environment; the notebook's language, unless UNET_COURSE_LANGUAGE is set already."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    if language and "UNET_COURSE_LANGUAGE" not in os.environ:
        env["UNET_COURSE_LANGUAGE"] = language
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def _run_limited(arguments, folder, limit, language=None):
    """(returncode or None if it ran out of time, stdout, stderr); a process that overruns is killed
    with every process it started (its own session)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "unet_course.instructor._fresh", *arguments],
        cwd=folder,
        env=_environment(language),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=limit)
        return process.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _kill_kernel(folder)
        out, err = process.communicate()
        return None, out, err


def _kill_kernel(folder):
    pid_file = Path(folder) / "kernel.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def run_notebook(path, folder, limit):
    """'ran', 'timed out after N s' or 'crashed: ...' for the notebook run in ``folder``."""
    returncode, _, err = _run_limited(["run", Path(path).name, str(limit)], folder, limit + 15)
    if returncode is None or returncode == 3:
        return f"timed out after {limit:g} s (stopped; its checks are still graded below)"
    if returncode != 0:
        last = (err.strip().splitlines() or ["no message"])[-1]
        return f"crashed: {last} (its checks are still graded below)"
    return "ran"


def run_check(path, folder, check, target, limit, language=None):
    """One check in a fresh process (its messages in ``language``, if given): a CheckResult."""
    returncode, out, err = _run_limited(["check", Path(path).name, check, target], folder, limit, language)
    if returncode is None:
        return CheckResult(check, target, "timed out", f"no answer within {limit:g} s (stopped)")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return CheckResult(check, target, "error", f"the check process ended without a result: {last}")
    return CheckResult(check, target, **json.loads(lines[-1]))


def grade(path, solutions="notebooks", notebook_limit=NOTEBOOK_LIMIT, check_limit=CHECK_LIMIT):
    """(how the notebook ran, [CheckResult]) for the student's notebook at ``path``."""
    path = Path(path)
    solution = Path(solutions) / path.name
    wanted = checks_of(nbformat.read(solution if solution.exists() else path, as_version=4))
    language = notebook_language(nbformat.read(path, as_version=4))
    folder = tempfile.mkdtemp(prefix="unet-course-grade-")
    try:
        shutil.copy(path, Path(folder) / path.name)
        ran = run_notebook(path, folder, notebook_limit)
        found = [run_check(path, folder, check, target, check_limit, language) for check, target in wanted]
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the folder this function made, nothing else
    return ran, found


def report(name, ran, found):
    """Lines for one notebook: how it ran, each check, a total."""
    lines = [name, f"  notebook: {ran}"]
    for result in found:
        detail = f": {result.message}" if result.message else ""
        lines.append(f"  {result.check}({result.target}): {result.status}{detail}")
    passed = sum(r.status == "passed" for r in found)
    lines.append(f"  {passed} of {len(found)} checks passed")
    return lines


def grade_main(paths, solutions="notebooks", notebook_limit=NOTEBOOK_LIMIT, check_limit=CHECK_LIMIT):
    """Grade each notebook; 0 if every check of every notebook passed."""
    if not paths:
        print(
            "grade: give the student's notebook(s), e.g. "
            "python -m unet_course.instructor grade alice/01_double_conv.ipynb"
        )
        return 2
    all_passed = True
    for path in paths:
        ran, found = grade(path, solutions, notebook_limit, check_limit)
        print("\n".join(report(Path(path).name, ran, found)), flush=True)
        all_passed &= bool(found) and all(r.status == "passed" for r in found)
    return 0 if all_passed else 1
