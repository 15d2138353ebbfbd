"""Student copies of the solution notebooks: solutions stubbed out, hints kept, outputs cleared.

The solution notebooks mark what the student writes with nbgrader's markers, exactly
``### BEGIN SOLUTION`` / ``### END SOLUTION`` (and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``),
each alone on its line. A line that looks like a marker but is not one (``## BEGIN SOLUTION``,
lower case) is refused, so no solution leaks. Each copy carries ``metadata.unet_course.generated_from``;
``build`` overwrites and removes only files that carry it, so hand-written notebooks in
``student/`` survive. The same input always gives the same bytes. ``language="zh"`` (the Chinese
edition, ``notebooks/zh``) writes the stubs' message in Chinese; everything else is the same.
"""

import copy
import re
from pathlib import Path

import nbformat

from .. import i18n
from ..i18n import tr

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MARKERS = (*SOLUTION, *HIDDEN_TESTS)
# anything a hurried hand might write for a marker: any number of #, any case, any spacing
LOOKALIKE = re.compile(r"^\s*#+\s*(begin|end)\s*(solution|hidden\s*tests?)\b", re.IGNORECASE)
GENERATED = "generated_from"
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


def _stub_message(where, hinted):
    """'Write this part of DoubleConv.__init__ (see the hint above), then run the check below.'"""
    if where and hinted:
        return tr("Write this part of {where} (see the hint above), then run the check below.", where=where)
    if where:
        return tr("Write this part of {where}, then run the check below.", where=where)
    if hinted:
        return tr("Write this part (see the hint above), then run the check below.")
    return tr("Write this part, then run the check below.")


def _stub(lines, index, indent, language="en"):
    """The line that replaces a solution region: a NotImplementedError saying what to write."""
    above = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
    with i18n.using(language):
        message = _stub_message(_enclosing(lines, index, len(indent)), above.startswith("#"))
    return f'{indent}raise NotImplementedError("{message}")'


def strip_source(source, where="this cell", language="en"):
    """A code cell's source with its solutions stubbed out and hidden tests removed."""
    lines, kept, region = source.split("\n"), [], None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker not in MARKERS and LOOKALIKE.match(line):
            exact = next(
                m
                for m in MARKERS
                if m.split()[1:2] == [LOOKALIKE.match(line).group(1).upper()]
                and ("HIDDEN" in m) == ("hidden" in line.lower())
            )
            raise ExerciseError(
                f"{where}, line {number}: `{marker}` looks like a marker but is not one, so the solution would "
                f"stay in the student copy. Write exactly `{exact}`, alone on its line."
            )
        if marker not in MARKERS:
            if region is None:
                kept.append(line)
            continue
        if marker in (SOLUTION[0], HIDDEN_TESTS[0]):
            if region is not None:
                raise ExerciseError(f"{where}, line {number}: `{marker}` inside the region opened at line {region[1]}.")
            region = (marker, number)
            if marker == SOLUTION[0]:
                kept.append(_stub(lines, number - 1, line[: len(line) - len(line.lstrip())], language))
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
        cell.cell_type == "code" and any(LOOKALIKE.match(line) for line in cell.source.split("\n"))
        for cell in notebook.cells
    )


def generated(path):
    """Was the notebook at ``path`` written by ``build`` (it names its solution notebook)?"""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook we can read: certainly not ours
        return False
    return GENERATED in notebook.metadata.get("unet_course", {})


def student_notebook(notebook, name, language="en"):
    """The student copy of a solution notebook (a new notebook; the input is left alone)."""
    student = copy.deepcopy(notebook)
    student.metadata.pop("widgets", None)  # widget state belongs to the outputs, which go
    student.metadata["unet_course"] = {GENERATED: name}
    for number, cell in enumerate(student.cells, start=1):
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source, f"{name}, cell {number}", language)
            cell.outputs, cell.execution_count = [], None
    return student


def to_text(notebook):
    """The notebook as nbformat writes it (sorted keys, indent 1), ending in a newline."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def student_copies(notebooks, language="en"):
    """{path of the student copy: its text} for every solution notebook with markers; stubs in ``language``."""
    notebooks = Path(notebooks)
    if not notebooks.is_dir():
        raise ExerciseError(f"No notebooks folder at {notebooks}: run this from the course's top folder.")
    copies = {}
    for path in sorted(notebooks.glob(PATTERN)):
        notebook = nbformat.read(path, as_version=4)
        if has_markers(notebook):
            copies[notebooks / STUDENT_DIR / path.name] = to_text(student_notebook(notebook, path.name, language))
    return copies


def stale(notebooks, language="en"):
    """[(path, why)] for every student copy that differs from what ``build`` would write."""
    copies, found = student_copies(notebooks, language), []
    for path, text in copies.items():
        if not path.exists():
            found.append((path, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            found.append((path, "differs"))
    for path in sorted((Path(notebooks) / STUDENT_DIR).glob("*.ipynb")):
        if path not in copies and generated(path):
            found.append((path, "has no solution notebook with markers"))
    return found


def build(notebooks, language="en"):
    """Write every student copy (stubs in ``language``: "en", or "zh" for notebooks/zh); remove only
    copies that build wrote and whose solution notebook lost its markers. A hand-written notebook is
    never overwritten or removed."""
    copies = student_copies(notebooks, language)
    foreign = [p for p in copies if p.exists() and not generated(p)]
    if foreign:
        raise ExerciseError(
            f"{foreign[0].as_posix()} was not written by build (it has no metadata.unet_course.generated_from), "
            "and build would overwrite it: move or rename it, then build again."
        )
    for path, text in copies.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    removed = [p for p in sorted((Path(notebooks) / STUDENT_DIR).glob("*.ipynb")) if p not in copies and generated(p)]
    for path in removed:
        path.unlink()
    return list(copies), removed


def check(notebooks, language="en"):
    problems = stale(notebooks, language)
    for path, why in problems:
        print(f"stale: {path.as_posix()} ({why})")
    if problems:
        print("Regenerate them with: python -m unet_course.instructor build")
        return 1
    print(f"{len(student_copies(notebooks, language))} student copies up to date.")
    return 0
