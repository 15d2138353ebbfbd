#!/usr/bin/env python3
"""The Chinese edition (notebooks/zh/): its code and outputs are the English notebooks', by cell id.

    python tools/zh_edition.py sync [NOTEBOOK ...]        # rebuild notebooks/zh/ from the English notebooks
    python tools/zh_edition.py check                       # exit 1, listing differences, stale and untranslated cells
    python tools/zh_edition.py mark NOTEBOOK [CELL_ID ...] # record: these cells' Chinese matches today's English

Data flow, for each English notebook ``notebooks/NN_x.ipynb``:
- code cells: the English cell (source, outputs, execution count), with every message of the course's
  catalog in its outputs rendered in Chinese (``unet_course.i18n.localize``: the Chinese edition's setup cell
  chooses Chinese messages, and nbval checks that a fresh run prints exactly these outputs);
- markdown cells: the Chinese cell of the same id in ``notebooks/zh/NN_x.ipynb``. Its metadata
  ``zh.translated_from`` is a hash of the English cell it translates. A new English cell comes in English,
  marked ``zh.untranslated``; an English cell that changed since its translation is marked ``zh.stale``
  (the translation is kept, for the translator to update, then ``mark``);
- the setup cell and the badges: as ``tools/setup_cell.py`` writes them for the Chinese edition.
Run it with the course's Python (``.venv/bin/python``): it imports ``unet_course`` for the catalog.
"""

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import setup_cell  # noqa: E402  (tools/setup_cell.py, beside this file)

from unet_course.i18n import localize  # noqa: E402

ENGLISH = ROOT / "notebooks"
CHINESE = ENGLISH / "zh"
CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_OUTPUTS = ("text/plain", "text/markdown", "text/html")


def english_notebooks():
    return sorted(ENGLISH.glob("[0-9]*.ipynb"))


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def write(path, notebook):
    path.write_bytes(setup_cell.to_text(notebook).encode("utf-8"))


def text(source):
    return "".join(source) if isinstance(source, list) else source


def english_hash(cell):
    """What a translation is a translation of: the English markdown, without the badge line."""
    lines = [line for line in text(cell["source"]).split("\n") if setup_cell.COLAB_BADGE not in line]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def localized_output(output):
    """One English output with the course's messages in Chinese (figures and other data unchanged)."""
    output = copy.deepcopy(output)
    if "text" in output:
        output["text"] = setup_cell.split_lines(localize(text(output["text"]), "zh"))
    for kind in TEXT_OUTPUTS:
        if kind in output.get("data", {}):
            output["data"][kind] = setup_cell.split_lines(localize(text(output["data"][kind]), "zh"))
    if output.get("output_type") == "error":
        output["evalue"] = localize(output["evalue"], "zh")
        output["traceback"] = [localize(line, "zh") for line in output["traceback"]]
    return output


def code_cell(english):
    cell = copy.deepcopy(english)
    cell["outputs"] = [localized_output(output) for output in english.get("outputs", [])]
    return cell


def markdown_cell(english, chinese):
    """The Chinese cell for ``english``: the translation if there is one (marked stale if the English changed)."""
    sha = english_hash(english)
    recorded = (chinese or {}).get("metadata", {}).get("zh", {})
    untranslated = {**english.get("metadata", {}), "zh": {"untranslated": True}}
    if chinese is None or recorded.get("untranslated"):  # the English text, until a translator marks it
        return {**copy.deepcopy(english), "metadata": untranslated}
    if "translated_from" not in recorded:  # written by hand, never marked: kept, to be checked and marked
        return {**copy.deepcopy(chinese), "id": english["id"], "metadata": untranslated}
    zh = {"translated_from": recorded["translated_from"]}
    if zh["translated_from"] != sha:
        zh["stale"] = True
    return {**copy.deepcopy(chinese), "id": english["id"], "metadata": {**english.get("metadata", {}), "zh": zh}}


def synced(english_path, chinese_path):
    """The Chinese notebook rebuilt from the English one and the translations it already has."""
    english = read(english_path)
    old = read(chinese_path) if chinese_path.exists() else {"cells": []}
    translations = {c["id"]: c for c in old["cells"] if c["cell_type"] == "markdown"}
    cells = []
    for cell in english["cells"]:
        if cell["cell_type"] == "markdown":
            cells.append(markdown_cell(cell, translations.get(cell["id"])))
        elif cell["cell_type"] == "code":
            cells.append(code_cell(cell))
        else:
            cells.append(copy.deepcopy(cell))
    notebook = {**english, "cells": cells}
    return setup_cell.updated(notebook, chinese_path.relative_to(ROOT).as_posix())


def sync(paths=None):
    CHINESE.mkdir(exist_ok=True)
    for english_path in paths or english_notebooks():
        chinese_path = CHINESE / english_path.name
        write(chinese_path, synced(english_path, chinese_path))
        print(f"wrote {chinese_path.relative_to(ROOT).as_posix()}")


def mark(chinese_path, cell_ids=None):
    """Record that the Chinese cells ``cell_ids`` (all markdown cells if None) translate today's English."""
    english = {c["id"]: c for c in read(ENGLISH / chinese_path.name)["cells"]}
    notebook = read(chinese_path)
    wanted = set(cell_ids or [c["id"] for c in notebook["cells"] if c["cell_type"] == "markdown"])
    unknown = wanted - {c["id"] for c in notebook["cells"] if c["cell_type"] == "markdown"}
    if unknown:
        raise SystemExit(f"{chinese_path.name} has no markdown cell with id {', '.join(sorted(unknown))}.")
    for cell in notebook["cells"]:
        if cell["id"] in wanted:
            if not CJK.search(text(cell["source"])) and re.search("[A-Za-z]{4,}", text(cell["source"])):
                raise SystemExit(f"{chinese_path.name} cell {cell['id']} has no Chinese yet: translate it first.")
            cell["metadata"]["zh"] = {"translated_from": english_hash(english[cell["id"]])}
    write(chinese_path, notebook)


def problems():
    """Every way notebooks/zh/ differs from what ``sync`` would make, and every cell still to translate."""
    found = []
    chinese_names = {p.name for p in CHINESE.glob("[0-9]*.ipynb")}
    english_names = {p.name for p in english_notebooks()}
    found += [f"missing: notebooks/zh/{name} (run: sync)" for name in sorted(english_names - chinese_names)]
    found += [f"no English notebook for notebooks/zh/{name}" for name in sorted(chinese_names - english_names)]
    for name in sorted(english_names & chinese_names):
        stored, expected = read(CHINESE / name), synced(ENGLISH / name, CHINESE / name)
        if [c["id"] for c in stored["cells"]] != [c["id"] for c in expected["cells"]]:
            found.append(f"{name}: the cells are not the English cells in the English order (run: sync)")
            continue
        for have, want in zip(stored["cells"], expected["cells"]):
            where = f"{name} cell {have['id']}"
            if have["cell_type"] == "code" and have != want:
                found.append(f"{where}: code or outputs differ from the English notebook (run: sync)")
            elif have["cell_type"] == "markdown":
                zh = want["metadata"]["zh"]
                if zh.get("untranslated"):
                    found.append(f"{where}: untranslated")
                elif zh.get("stale"):
                    found.append(f"{where}: stale (the English cell changed; update the translation, then mark)")
                elif have != want:
                    found.append(f"{where}: differs from what sync keeps (run: sync)")
        if stored.get("metadata") != expected.get("metadata"):
            found.append(f"{name}: notebook metadata differs from the English notebook (run: sync)")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync_command = commands.add_parser("sync", help="rebuild notebooks/zh/ from the English notebooks")
    sync_command.add_argument("notebooks", nargs="*", type=Path, help="English notebooks (default: all)")
    commands.add_parser("check", help="list every difference, stale or untranslated cell; exit 1 if any")
    mark_command = commands.add_parser("mark", help="record that these Chinese cells translate today's English")
    mark_command.add_argument("notebook", type=Path)
    mark_command.add_argument("cells", nargs="*", help="cell ids (default: every markdown cell)")
    args = parser.parse_args(argv)
    if args.command == "sync":
        sync([ENGLISH / p.name for p in args.notebooks])
    elif args.command == "mark":
        mark(CHINESE / args.notebook.name, args.cells)
    else:
        found = problems()
        print("\n".join(found) if found else "The Chinese edition is in sync and fully translated.")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
