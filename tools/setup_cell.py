#!/usr/bin/env python3
"""Write the Colab/Kaggle setup cell and the "Open in Colab / Kaggle" badges into every notebook.

    python3 tools/setup_cell.py           # rewrite notebooks/NN_*.ipynb (and notebooks/zh/ if present)
    python3 tools/setup_cell.py --check   # exit 1 and name each notebook that is not up to date

Data flow: each notebook's JSON -> the badge line under the title of its first markdown cell, and
the code cell ``SETUP_ID`` (source ``SETUP_SOURCE``) right after that markdown cell -> the same JSON
layout Jupyter writes (indent 1, sorted keys). The setup cell's outputs and execution count are
kept, so running the tool again changes nothing. Student copies (notebooks/student/) are generated
from the solution notebooks by ``python -m unet_course.exercises build``, which keeps the cell.

The cell's code is plain standard-library Python: on Colab and Kaggle it runs before the course's
package exists. Only the standard library is used here too, so a bare Python 3.10+ runs this tool.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "unet-course/unet-course"
BRANCH = "main"
SETUP_ID = "platform-setup"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
KAGGLE_BADGE = "https://kaggle.com/static/images/open-in-kaggle.svg"

SETUP_SOURCE = """\
# On Colab or Kaggle: install the course's helper package, keeping the platform's own torch. Elsewhere: nothing.
import os
import sys

if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ or "KAGGLE_KERNEL_RUN_TYPE" in os.environ:
    import importlib.metadata
    import importlib.util
    import subprocess
    import tempfile

    if importlib.util.find_spec("unet_course") is None:  # not installed yet in this session
        if importlib.util.find_spec("torch") is None:
            raise ModuleNotFoundError("No torch here: choose a runtime that has PyTorch, then run this cell again.")
        torch_version = importlib.metadata.version("torch")
        source = os.environ.get("UNET_COURSE_SOURCE", "git+https://github.com/unet-course/unet-course")
        with tempfile.TemporaryDirectory() as folder:
            constraints = os.path.join(folder, "constraints.txt")
            with open(constraints, "w") as file:
                file.write(f"torch=={torch_version}\\n")  # so pip can never replace the platform's torch
            pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-c", constraints, source])
        if pip.returncode != 0:
            raise RuntimeError(f"pip could not install {source}: see above (on Kaggle: Settings > Internet on).")
        importlib.invalidate_caches()
        print(f"Installed unet_course from {source}; torch {torch_version} is unchanged.")"""

# The Chinese edition's one setting: the course's checker verdicts and input errors in Chinese.
ZH_FOLDER = "notebooks/zh/"
ZH_SETTING = """

# 中文版：练习检查器的结论和输入错误信息用中文显示（改为 "en" 则显示英文）。
os.environ["UNET_COURSE_LANGUAGE"] = "zh"
"""


def setup_source(relative_path):
    """The setup cell's code for the notebook at ``relative_path``: the Chinese edition adds its language."""
    return SETUP_SOURCE + (ZH_SETTING.rstrip("\n") if relative_path.startswith(ZH_FOLDER) else "")


def notebook_files(root=ROOT):
    """The notebooks that carry the cell: the course's, and the Chinese edition's if it exists."""
    notebooks = Path(root) / "notebooks"
    return sorted(notebooks.glob("[0-9]*.ipynb")) + sorted((notebooks / "zh").glob("[0-9]*.ipynb"))


def badge_line(relative_path):
    """Markdown for the two badges that open ``relative_path`` (e.g. notebooks/00_x.ipynb) on GitHub's main."""
    where = f"{REPOSITORY}/blob/{BRANCH}/{relative_path}"
    colab = f"[![Open In Colab]({COLAB_BADGE})](https://colab.research.google.com/github/{where})"
    kaggle = f"[![Open In Kaggle]({KAGGLE_BADGE})](https://kaggle.com/kernels/welcome?src=https://github.com/{where})"
    return f"{colab} {kaggle}"


def split_lines(text):
    """A cell source as the list of lines Jupyter stores (each line but the last keeps its newline)."""
    return text.splitlines(keepends=True)


def with_badges(markdown, relative_path):
    """The first markdown cell's text with the badge line under its title (an old badge line replaced)."""
    lines = markdown.split("\n")
    old = next((n for n, line in enumerate(lines) if COLAB_BADGE in line), None)
    if old is not None:
        del lines[old : old + (2 if lines[old + 1 : old + 2] == [""] else 1)]  # the line and its blank line
    head, rest = ([lines[0], ""], lines[1:]) if lines[0].startswith("#") else ([], lines)
    if rest[:1] == [""]:
        rest = rest[1:]
    return "\n".join([*head, badge_line(relative_path), "", *rest])


def setup_cell(relative_path, old=None):
    """The setup cell: ``old``'s outputs and execution count (if given) with the current source."""
    cell = {"cell_type": "code", "execution_count": None, "id": SETUP_ID, "metadata": {}, "outputs": []}
    if old is not None:
        cell.update(execution_count=old.get("execution_count"), outputs=old.get("outputs", []))
        cell["metadata"] = old.get("metadata", {})
    cell["source"] = split_lines(setup_source(relative_path))
    return cell


def updated(notebook, relative_path):
    """A copy of the notebook (JSON dict) with the badges and the setup cell in place."""
    old = next((c for c in notebook["cells"] if c.get("id") == SETUP_ID), None)
    cells = [c for c in notebook["cells"] if c.get("id") != SETUP_ID]
    first = next((n for n, c in enumerate(cells) if c["cell_type"] == "markdown"), None)
    if first is None:
        raise ValueError(f"{relative_path} has no markdown cell: the badges go into its first one, under the title.")
    title = dict(cells[first], source=split_lines(with_badges("".join(cells[first]["source"]), relative_path)))
    cells[first : first + 1] = [title, setup_cell(relative_path, old)]
    return {**notebook, "cells": cells}


def to_text(notebook):
    """The notebook as Jupyter and nbformat write it."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stale(root=ROOT):
    """{path: the text it should have} for every notebook that is not up to date."""
    found = {}
    for path in notebook_files(root):
        text = path.read_text(encoding="utf-8")
        expected = to_text(updated(json.loads(text), path.relative_to(root).as_posix()))
        if expected != text:
            found[path] = expected
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report the notebooks that are not up to date")
    parser.add_argument("--root", default=ROOT, type=Path, help="the course's top folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if not (args.root / "notebooks").is_dir():
        parser.error(f"no notebooks/ folder in {args.root}: pass the course's top folder with --root")
    changes = stale(args.root)
    for path, text in changes.items():
        if args.check:
            print(f"stale: {path.relative_to(args.root).as_posix()}")
        else:
            path.write_bytes(text.encode("utf-8"))
            print(f"wrote {path.relative_to(args.root).as_posix()}")
    if args.check and changes:
        print("Rewrite them with: python3 tools/setup_cell.py")
        return 1
    if not changes:
        print(f"{len(notebook_files(args.root))} notebooks up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
