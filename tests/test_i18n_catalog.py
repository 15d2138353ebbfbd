"""The Chinese catalog against the code: every tr() template translated, nothing unused, the same fields."""

import ast
import re
from pathlib import Path

import pytest

from unet_course import i18n

PACKAGE = Path(i18n.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def tr_calls():
    """(file:line, template) of every tr(...) call in the package; a template that is not a literal is an error."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name != "tr" or path.name == "i18n.py":
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                pytest.fail(f"{where}: tr() needs a literal template (the catalog's key), not {ast.unparse(first)}")
            calls.append((where, first.value))
    return calls


def test_every_template_has_a_chinese_entry():
    messages = i18n.catalog()["messages"]
    missing = [f"{where}: {template!r}" for where, template in tr_calls() if template not in messages]
    assert not missing, "Templates without a Chinese entry in unet_course/locale/zh/:\n" + "\n".join(missing)


def test_no_entry_is_unused():
    used = {template for _, template in tr_calls()}
    unused = sorted(set(i18n.catalog()["messages"]) - used)
    assert not unused, f"Catalog entries no tr() call uses (remove them): {unused}"


@pytest.mark.parametrize("english", sorted(i18n.catalog()["messages"]))
def test_entry_has_the_same_fields_and_is_chinese(english):
    chinese = i18n.catalog()["messages"][english]
    # the same fields (a translation may name one twice, as "因为 {size} 不能被 ... 整除" does)
    assert set(i18n.fields(english)) == set(i18n.fields(chinese)), (english, chinese)
    assert CJK.search(chinese), f"not translated: {chinese!r}"


def test_words_are_chinese():
    untranslated = {k: v for k, v in i18n.catalog()["words"].items() if not CJK.search(v)}
    assert not untranslated
