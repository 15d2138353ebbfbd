"""Student copies of the notebooks, and grading with the checkers.

    python -m unet_course.exercises build            # notebooks/NN_*.ipynb -> notebooks/student/
    python -m unet_course.exercises check            # exit 1 if a stored student copy is stale
    python -m unet_course.exercises grade FILE.ipynb # run a student's notebook, report each check

The solution notebooks mark what the student writes with nbgrader's convention, at method-body
level, under a hint comment::

    # Hint: two Conv2d(kernel_size=3, padding=1, bias=False), each followed by BatchNorm2d and ReLU
    ### BEGIN SOLUTION
    self.double_conv = nn.Sequential(...)
    ### END SOLUTION

In a student copy each such region becomes ``raise NotImplementedError("...")`` at the same
indent (the hint stays), ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` regions are
removed, and outputs and execution counts are cleared. The same input always gives the same
bytes, so a test can regenerate the copies and compare.
"""

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MARKERS = (*SOLUTION, *HIDDEN_TESTS)
STUDENT_DIR = "student"
PATTERN = "[0-9]*.ipynb"
# cell metadata that describes a run of the cell, which the student copy does not have
RUN_METADATA = ("execution", "ExecuteTime")


class ExerciseError(ValueError):
    """A solution notebook whose markers cannot be turned into a student copy."""


def _enclosing(lines, index, indent):
    """'DoubleConv.__init__': the def (and class) the region at ``lines[index]`` sits in."""
    names, limit = [], indent
    for line in reversed(lines[:index]):
        match = re.match(r"(\s*)(?:async\s+)?(def|class)\s+(\w+)", line)
        if match and len(match.group(1)) < limit:
            names.insert(0, match.group(3))
            limit = len(match.group(1))
    return ".".join(names)


def _stub(lines, index, indent):
    """The line that replaces a solution region: a NotImplementedError saying what to write."""
    above = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
    where = _enclosing(lines, index, len(indent))
    part = f"this part of {where}" if where else "this part"
    hint = " (see the hint above)" if above.startswith("#") else ""
    return f'{indent}raise NotImplementedError("Write {part}{hint}, then run the check below.")'


def strip_source(source, where="this cell"):
    """A code cell's source with its solutions stubbed out and hidden tests removed."""
    lines, kept, region = source.split("\n"), [], None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker not in MARKERS:
            if region is None:
                kept.append(line)
            continue
        if marker in (SOLUTION[0], HIDDEN_TESTS[0]):
            if region is not None:
                raise ExerciseError(f"{where}, line {number}: `{marker}` inside the region opened at line {region[1]}.")
            region = (marker, number)
            if marker == SOLUTION[0]:
                kept.append(_stub(lines, number - 1, line[: len(line) - len(line.lstrip())]))
            continue
        opened = SOLUTION[0] if marker == SOLUTION[1] else HIDDEN_TESTS[0]
        if region is None or region[0] != opened:
            raise ExerciseError(f"{where}, line {number}: `{marker}` without a matching `{opened}` before it.")
        region = None
    if region is not None:
        closing = SOLUTION[1] if region[0] == SOLUTION[0] else HIDDEN_TESTS[1]
        raise ExerciseError(f"{where}, line {region[1]}: `{region[0]}` is never closed by `{closing}`.")
    return "\n".join(kept)


def has_markers(notebook):
    return any(
        cell.cell_type == "code" and any(line.strip() in MARKERS for line in cell.source.split("\n"))
        for cell in notebook.cells
    )


def student_notebook(notebook, name):
    """The student copy of a solution notebook (a new notebook; the input is left alone)."""
    student = copy.deepcopy(notebook)
    student.metadata.pop("widgets", None)  # widget state belongs to the outputs, which go
    for number, cell in enumerate(student.cells, start=1):
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source, f"{name}, cell {number}")
            cell.outputs, cell.execution_count = [], None
    return student


def to_text(notebook):
    """The notebook as nbformat writes it (sorted keys, indent 1), ending in a newline."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def student_copies(notebooks):
    """{path of the student copy: its text} for every solution notebook with markers."""
    notebooks = Path(notebooks)
    if not notebooks.is_dir():
        raise ExerciseError(f"No notebooks folder at {notebooks}: run this from the course's top folder.")
    copies = {}
    for path in sorted(notebooks.glob(PATTERN)):
        notebook = nbformat.read(path, as_version=4)
        if has_markers(notebook):
            copies[notebooks / STUDENT_DIR / path.name] = to_text(student_notebook(notebook, path.name))
    return copies


def stale(notebooks):
    """[(path, why)] for every student copy that differs from what ``build`` would write."""
    copies, found = student_copies(notebooks), []
    for path, text in copies.items():
        if not path.exists():
            found.append((path, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            found.append((path, "differs"))
    for path in sorted((Path(notebooks) / STUDENT_DIR).glob("*.ipynb")):
        if path not in copies:
            found.append((path, "has no solution notebook with markers"))
    return found


def build(notebooks):
    """Write every student copy and remove copies whose solution notebook lost its markers."""
    copies = student_copies(notebooks)
    for path, text in copies.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    removed = [p for p in sorted((Path(notebooks) / STUDENT_DIR).glob("*.ipynb")) if p not in copies]
    for path in removed:
        path.unlink()
    return list(copies), removed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m unet_course.exercises", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["build", "check", "grade"])
    parser.add_argument("notebook", nargs="*", help="grade: the student's notebook(s)")
    parser.add_argument("--notebooks", default="notebooks", help="the solution notebooks' folder (build, check)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            written, removed = build(args.notebooks)
            for path in written:
                print(f"wrote {path.as_posix()}")
            for path in removed:
                print(f"removed {path.as_posix()} (its solution notebook has no markers)")
            return 0
        if args.command == "check":
            return _check(args.notebooks)
        from .grading import grade_main

        return grade_main(args.notebook)
    except ExerciseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _check(notebooks):
    problems = stale(notebooks)
    for path, why in problems:
        print(f"stale: {path.as_posix()} ({why})")
    if problems:
        print("Regenerate them with: python -m unet_course.exercises build")
        return 1
    print(f"{len(student_copies(notebooks))} student copies up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
