"""The Chinese edition: in sync with the English notebooks, fully translated, and its terms used consistently."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import zh_edition  # noqa: E402  (tools/zh_edition.py)

TERMS = ROOT / "notebooks" / "zh" / "terminology.tsv"
NOTEBOOKS = [p.name for p in zh_edition.english_notebooks()]
NEAR = 40  # characters: "beside" for the English term on a Chinese term's first use


def terminology():
    """[(English forms, Chinese term, other translations)] from notebooks/zh/terminology.tsv."""
    rows = []
    for line in TERMS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, chinese, *rest = line.split("\t")
            others = [o.strip() for o in rest[0].split(",") if o.strip()] if rest else []
            rows.append((english.split("|"), chinese, others))
    return rows


def prose(markdown):
    """Markdown without code (fenced and inline), maths, link targets and the badge line."""
    markdown = "\n".join(line for line in markdown.split("\n") if zh_edition.setup_cell.COLAB_BADGE not in line)
    markdown = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    markdown = re.sub(r"`[^`]*`", " ", markdown)  # a code span may wrap onto the next line
    markdown = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", markdown, flags=re.DOTALL)
    markdown = re.sub(r"\]\([^)]*\)", "]", markdown)
    return markdown


def uses_english(text, forms):
    return any(re.search(rf"(?<![\w-]){re.escape(form)}(?:s|es)?(?![\w-])", text, re.IGNORECASE) for form in forms)


def markdown_pairs(name):
    """(cell id, English prose, Chinese prose) for every markdown cell of one notebook."""
    english = {c["id"]: c for c in json.loads((zh_edition.ENGLISH / name).read_text(encoding="utf-8"))["cells"]}
    chinese = json.loads((zh_edition.CHINESE / name).read_text(encoding="utf-8"))["cells"]
    return [
        (c["id"], prose(zh_edition.text(english[c["id"]]["source"])), prose(zh_edition.text(c["source"])))
        for c in chinese
        if c["cell_type"] == "markdown" and c["id"] in english
    ]


def unquoted(name):
    """One notebook's Chinese prose without the quote lines (> ...) that cite the source text."""
    lines = (line for _, _, chinese in markdown_pairs(name) for line in chinese.split("\n"))
    return "\n".join(line for line in lines if not line.lstrip().startswith(">"))


def test_the_terminology_gives_one_chinese_term_per_english_term():
    rows = terminology()
    assert len(rows) >= 40
    english = [form.lower() for forms, _, _ in rows for form in forms]
    chinese = [term for _, term, _ in rows]
    assert len(set(english)) == len(english) and len(set(chinese)) == len(chinese)
    # an "other translation" of one term must not be the chosen term of another
    assert not {o for _, _, others in rows for o in others} & set(chinese)


def test_the_edition_is_in_sync_and_fully_translated():
    found = zh_edition.problems()
    assert not found, f"{len(found)} problems (python tools/zh_edition.py check):\n" + "\n".join(found[:40])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_english_term_has_its_chinese_term(name):
    wrong = []
    for cell_id, english, chinese in markdown_pairs(name):
        for forms, term, _ in terminology():
            if uses_english(english, forms) and term not in chinese:
                wrong.append(f"cell {cell_id}: English says {forms[0]!r}, the translation lacks {term}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_first_use_of_a_term_has_the_english_beside_it(name):
    text = unquoted(name)  # a quote of the source text is the source's words, not a first use
    missing = []
    for forms, term, _ in terminology():
        at = text.find(term)
        if at < 0:
            continue
        near = text[max(0, at - NEAR) : at + len(term) + NEAR].lower()
        if not any(form.lower() in near for form in forms):
            missing.append(f"{term} first at ...{text[max(0, at - 10) : at + 20]!r}... without {forms[0]!r} beside it")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_second_translation_of_a_term(name):
    text = unquoted(name)  # quotes of the source text keep its own words
    found = [
        f"{other} (the course says {term})" for _, term, others in terminology() for other in others if other in text
    ]
    assert not found, ", ".join(found)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_line_break_inside_chinese_text(name):
    """A line break between two Chinese characters shows as a stray space in Lab: one line per paragraph."""
    cjk = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
    broken = [
        f"cell {cell_id}: ...{match.group(0)!r}..."
        for cell_id, _, chinese in markdown_pairs(name)
        for match in re.finditer(rf"[{cjk}]\n[{cjk}]", chinese)
    ]
    assert not broken, "\n".join(broken)
