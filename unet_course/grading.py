"""Grade a student's notebook: run it top to bottom in a fresh kernel, then report what each
check cell (``check_double_conv(DoubleConv)``, ...) said: passed, failed with the checker's
message, raised something else, or never ran."""

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


@dataclass
class CheckResult:
    """One check cell of a graded notebook."""

    check: str  # 'check_double_conv' (several names joined by ', ' if one cell calls several)
    cell: int  # 1-based, counting every cell
    status: str  # 'passed', 'failed', 'error' or 'not run'
    message: str


def _result(cell, number, names):
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    if errors:
        status = "failed" if errors[0].ename == "CheckFailed" else "error"
        message = errors[0].evalue if status == "failed" else f"{errors[0].ename}: {errors[0].evalue}"
        return CheckResult(names, number, status, message)
    if cell.get("execution_count") is None:
        return CheckResult(names, number, "not run", "")
    printed = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    line = next((line for line in printed.splitlines() if " OK" in line), printed.strip())
    return CheckResult(names, number, "passed", line)


def results(notebook):
    """The check cells of an executed notebook, in order."""
    found = []
    for number, cell in enumerate(notebook.cells, start=1):
        names = CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
        if names:
            found.append(_result(cell, number, ", ".join(names)))
    return found


def grade(path, timeout=600):
    """Execute the notebook at ``path`` (errors do not stop the run) and return its check results."""
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    return results(notebook)


def report(name, found):
    """Lines for one notebook: each check and a total."""
    lines = [name]
    for result in found:
        detail = f": {result.message}" if result.message else ""
        lines.append(f"  cell {result.cell} {result.check}: {result.status}{detail}")
    passed = sum(r.status == "passed" for r in found)
    lines.append(f"  {passed} of {len(found)} checks passed")
    return lines


def grade_main(paths):
    """Grade each notebook; 0 if every check of every notebook passed."""
    if not paths:
        print("grade: give the student's notebook(s), e.g. python -m unet_course.exercises grade 01_double_conv.ipynb")
        return 2
    all_passed = True
    for path in paths:
        found = grade(path)
        print("\n".join(report(Path(path).name, found)))
        all_passed &= bool(found) and all(r.status == "passed" for r in found)
    return 0 if all_passed else 1
