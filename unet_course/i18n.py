"""Messages in the student's language: English, or Simplified Chinese (简体中文) for the Chinese edition.

    os.environ["UNET_COURSE_LANGUAGE"] = "zh"       # the one setting: the Chinese notebooks' setup cell
    tr("Wrong channels: {name} gives {got}.", name="up1", got=32)   # the English text is the key

Data flow: a message site calls ``tr(template, **params)`` -> the template in the chosen language
(``locale/zh/*.json``; English is the template itself) -> filled with ``params``. A parameter that is
itself a word of the catalog ("first", "height") is translated too. The setting is read at every
message, so it can be changed at any time and reaches the subprocesses grading starts.

``localize(text)`` turns output that was rendered in English into the chosen language, by matching
the English templates: that is how the Chinese notebooks take their outputs from the English ones.
"""

import contextlib
import functools
import json
import os
import re
import string
from pathlib import Path

VARIABLE = "UNET_COURSE_LANGUAGE"
LANGUAGES = {"en": "English", "zh": "简体中文 (Simplified Chinese)"}
CATALOG = Path(__file__).parent / "locale" / "zh"  # one JSON file per part of the package, merged


def language():
    """The language messages are written in: ``"en"`` unless UNET_COURSE_LANGUAGE says otherwise."""
    chosen = os.environ.get(VARIABLE, "en").strip().lower().replace("_", "-")
    chosen = {"zh-cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh", "english": "en"}.get(chosen, chosen)
    if chosen not in LANGUAGES:
        raise ValueError(
            f"{VARIABLE}={os.environ[VARIABLE]!r} is not a language of the course: use one of "
            f"{', '.join(repr(code) for code in LANGUAGES)} ({', '.join(LANGUAGES.values())})."
        )
    return chosen


def set_language(code):
    """Choose the language of the course's messages (``"en"`` or ``"zh"``) for this kernel and its children."""
    previous = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = code
    try:
        language()
    except ValueError:
        if previous is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = previous
        raise


@contextlib.contextmanager
def using(code):
    """Messages in language ``code`` inside the block, the setting as it was afterwards.

    Figures use ``using("en")``: their text stays English, because matplotlib on Binder, Colab and many
    laptops has no font with Chinese glyphs (they would show as boxes)."""
    previous = os.environ.get(VARIABLE)
    set_language(code)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = previous


@functools.cache
def catalog():
    """{"messages": {english template: chinese template}, "words": {english word: chinese word}}."""
    merged = {"messages": {}, "words": {}}
    for path in sorted(CATALOG.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for part in merged:
            clash = merged[part].keys() & data.get(part, {}).keys()
            if clash:
                raise ValueError(f"{path.name} repeats {part} of another catalog file: {sorted(clash)[:3]}")
            merged[part].update(data.get(part, {}))
    return merged


def fields(template):
    """The names of the ``{fields}`` in a template, in order (format specs left out)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def word(text, code=None):
    """``text`` in the chosen language if the catalog lists it as a word, else unchanged."""
    if (code or language()) == "zh" and isinstance(text, str):
        return catalog()["words"].get(text, text)
    return text


def tr(template, **params):
    """The message ``template`` (English) in the chosen language, filled with ``params``."""
    code = language()
    if code == "zh":
        template = catalog()["messages"].get(template, template)
        params = {name: word(value, code) for name, value in params.items()}
    return template.format(**params)


# A field inside a template: the shortest text whose brackets balance (two levels), so that
# "DoubleConv(4, 4)" is one value although the template goes on with ", ".
FIELD = r"(?:[^()]|\((?:[^()]|\([^()]*\))*\))+?"


@functools.cache
def _matchers():
    """(longest literal part, regex of the rendered English message, its template, the Chinese one), longest first."""
    matchers = []
    for english, chinese in sorted(catalog()["messages"].items(), key=lambda item: -len(item[0])):
        pattern, seen = [], set()
        parts = list(string.Formatter().parse(english))
        for n, (literal, name, _, _) in enumerate(parts):
            pattern.append(re.escape(literal))
            if name is None:
                continue
            if name in seen:
                pattern.append(f"(?P={name})")
            else:
                last = n == len(parts) - 1  # a field that ends the template runs to the end of the line
                pattern.append(f"(?P<{name}>[^\\n]+)" if last else f"(?P<{name}>{FIELD})")
                seen.add(name)
        if parts and parts[-1][1] is None:
            # the message ends where its text ends: "Dice 0.608." is not "Dice 0" followed by "."
            pattern.append(r"(?![\w.(])")
        needle = max((literal for literal, _, _, _ in parts), key=len)  # cheap test before the regex
        matchers.append((needle, re.compile("".join(pattern)), english, chinese))
    return matchers


def _localized_value(value, leading):
    """A captured field value in Chinese: a catalog word, or text with messages in it. A template's
    leading field also takes in what stands before the message ("ValueError: the training loader"),
    so there the word it ends with is translated and the rest kept."""
    words = catalog()["words"]
    if value in words:
        return words[value]
    if leading:
        for english in sorted(words, key=len, reverse=True):
            if value.endswith(english):
                return localize(value[: -len(english)], "zh") + words[english]
    return localize(value, "zh")


def _fill(english, chinese, captured):
    """The Chinese template with each field replaced by the captured (already formatted) text."""
    leading = next(iter(string.Formatter().parse(english)))
    leading = leading[1] if not leading[0] else None  # the field the English template starts with
    out = []
    for literal, name, _, _ in string.Formatter().parse(chinese):
        out.append(literal)
        if name is not None:
            out.append(_localized_value(captured[name], name == leading))
    return "".join(out)


def localize(text, code=None):
    """English output ``text`` with every catalog message in it rendered in language ``code``."""
    if (code or language()) != "zh":
        return text
    for needle, regex, english, chinese in _matchers():
        if needle not in text:
            continue
        text = regex.sub(lambda match, e=english, c=chinese: _fill(e, c, match.groupdict()), text)
    return text
