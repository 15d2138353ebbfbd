"""README.zh-CN.md: the same two commands, the terminology table of the terminology file, badges that open
every Chinese notebook, and the mirror note."""

import re
from pathlib import Path

from test_zh_edition import terminology

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")


def commands(text):
    """The quick start's command lines (without their comments)."""
    block = re.search(r"```bash\n(python3 course\.py lab.*?)```", text, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_quick_start_has_the_same_two_commands():
    assert commands(README_ZH) == commands(README) == ["python3 course.py lab", "python3 course.py test"]


def test_the_terminology_table_is_the_terminology_file():
    table = re.search(r"\| 中文 \| English \|\n\| --- \| --- \|\n((?:\|.*\|\n)+)", README_ZH).group(1)
    rows = [tuple(cell.strip() for cell in line.strip("|").split("|")) for line in table.splitlines()]
    assert rows == [(chinese, " / ".join(forms)) for forms, chinese, _ in terminology()]
    assert len(rows) >= 40


def test_every_chinese_notebook_opens_from_the_readme_on_binder_colab_and_kaggle():
    notebooks = sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("[0-9]*.ipynb"))
    assert len(notebooks) == len(list((ROOT / "notebooks").glob("[0-9]*.ipynb")))
    for name in notebooks:
        for prefix in (
            "https://mybinder.org/v2/gh/unet-course/unet-course/HEAD?urlpath=lab/tree/notebooks/zh/",
            "https://colab.research.google.com/github/unet-course/unet-course/blob/main/notebooks/zh/",
            "https://kaggle.com/kernels/welcome?src=https://github.com/unet-course/unet-course/blob/main/notebooks/zh/",
        ):
            assert f"({prefix}{name})" in README_ZH, f"README.zh-CN.md: no link {prefix}{name}"
    linked = set(re.findall(r"notebooks/zh/([0-9][^)\s]*\.ipynb)", README_ZH))
    assert linked <= set(notebooks), f"links to notebooks that do not exist: {linked - set(notebooks)}"


def test_the_mirror_note_names_pips_variable_and_the_test_that_checks_it():
    assert "PIP_INDEX_URL=https://pypi.tuna.tsinghua.edu.cn/simple python3 course.py lab" in README_ZH
    assert (ROOT / "tests" / "test_mirror.py").exists() and "tests/test_mirror.py" in README_ZH


def test_each_readme_links_the_other():
    assert "[简体中文](README.zh-CN.md)" in README and "[English](README.md)" in README_ZH
