"""tools/zh_edition.py on a small course: what sync keeps, marks stale or untranslated, and what check finds."""

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import setup_cell  # noqa: E402
import zh_edition  # noqa: E402

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def english_notebook(path, note="Convolutions keep the size."):
    cells = [
        new_markdown_cell("# 01 · A block", id="title"),
        new_markdown_cell(note, id="note"),
        new_code_cell("print(1 + 1)", id="code", execution_count=1, outputs=[new_output("stream", text="2\n")]),
    ]
    notebook = setup_cell.updated(json.loads(nbformat.writes(new_notebook(cells=cells, metadata=KERNEL))), "x")
    path.write_text(setup_cell.to_text(notebook), encoding="utf-8")


@pytest.fixture
def course(tmp_path, monkeypatch):
    english = tmp_path / "notebooks"
    english.mkdir()
    monkeypatch.setattr(zh_edition, "ROOT", tmp_path)
    monkeypatch.setattr(zh_edition, "ENGLISH", english)
    monkeypatch.setattr(zh_edition, "CHINESE", english / "zh")
    english_notebook(english / "01_block.ipynb")
    zh_edition.sync()
    return english / "01_block.ipynb", english / "zh" / "01_block.ipynb"


def translate(path, cell_id, text):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["id"] == cell_id:
            cell["source"] = setup_cell.split_lines(text)
    zh_edition.write(path, notebook)


def cell(path, cell_id):
    return next(c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["id"] == cell_id)


def test_a_new_edition_is_untranslated_and_takes_the_code_and_its_language(course):
    english, chinese = course
    assert zh_edition.problems() == [f"01_block.ipynb cell {i}: untranslated" for i in ("title", "note")]
    setup = "".join(cell(chinese, setup_cell.SETUP_ID)["source"])
    assert setup == setup_cell.setup_source("notebooks/zh/01_block.ipynb") and "UNET_COURSE_LANGUAGE" in setup
    assert cell(chinese, "code")["outputs"] == cell(english, "code")["outputs"]


def test_translations_are_kept_until_their_english_changes_then_marked_stale(course):
    english, chinese = course
    translate(chinese, "title", "# 01 · 一个模块")
    translate(chinese, "note", "卷积保持尺寸不变。")
    zh_edition.mark(chinese)
    # the title lost its badge line, which sync puts back: check says so
    assert zh_edition.problems() == ["01_block.ipynb cell title: differs from what sync keeps (run: sync)"]
    translate(chinese, "title", setup_cell.with_badges("# 01 · 一个模块", "notebooks/zh/01_block.ipynb"))
    assert zh_edition.problems() == []
    english_notebook(english, note="Convolutions with padding 1 keep the size.")
    zh_edition.sync()
    assert "".join(cell(chinese, "title")["source"]).startswith("# 01 · 一个模块")  # unchanged English: kept
    assert "".join(cell(chinese, "note")["source"]) == "卷积保持尺寸不变。"  # kept for the translator...
    assert zh_edition.problems() == [
        "01_block.ipynb cell note: stale (the English cell changed; update the translation, then mark)"
    ]  # ...and marked
    translate(chinese, "note", "填充为 1 的卷积保持尺寸不变。")
    zh_edition.mark(chinese, ["note"])
    assert zh_edition.problems() == []


def test_check_finds_a_hand_edited_code_cell_and_a_missing_notebook(course):
    english, chinese = course
    notebook = json.loads(chinese.read_text(encoding="utf-8"))
    next(c for c in notebook["cells"] if c["id"] == "code")["source"] = ["print(2 + 2)"]
    zh_edition.write(chinese, notebook)
    assert "01_block.ipynb cell code: code or outputs differ from the English notebook (run: sync)" in (
        zh_edition.problems()
    )
    english_notebook(english.parent / "02_more.ipynb")
    assert "missing: notebooks/zh/02_more.ipynb (run: sync)" in zh_edition.problems()


def test_mark_refuses_a_cell_that_is_still_english(course):
    _, chinese = course
    with pytest.raises(SystemExit, match="note has no Chinese yet"):
        zh_edition.mark(chinese, ["note"])


def test_a_translation_written_without_metadata_is_kept_until_marked(course):
    _, chinese = course
    notebook = json.loads(chinese.read_text(encoding="utf-8"))
    note = next(c for c in notebook["cells"] if c["id"] == "note")
    note["source"], note["metadata"] = ["卷积保持尺寸不变。"], {}
    zh_edition.write(chinese, notebook)
    zh_edition.sync()
    assert "".join(cell(chinese, "note")["source"]) == "卷积保持尺寸不变。"
    assert "01_block.ipynb cell note: untranslated" in zh_edition.problems()
    zh_edition.mark(chinese, ["note"])
    assert "01_block.ipynb cell note: untranslated" not in zh_edition.problems()
