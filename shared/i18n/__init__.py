"""The user-facing text of the field app, one JSON catalogue per language.

Keys are namespaced (``app.jobs.title``, ``enum.status.acknowledged``, ``error.checklist_incomplete``)
and values may hold ``{placeholders}``. A key missing in a language falls back to zh-CN, then to the key
itself, so a forgotten entry shows up as its key instead of breaking the screen.
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_LANG = "zh-CN"
#: language code -> the language's own name (for the switch)
LANGS: dict[str, str] = {"zh-CN": "中文", "en": "English"}
_FILES = {"zh-CN": "zh_CN.json", "en": "en.json"}
_DIR = Path(__file__).resolve().parent

__all__ = ["DEFAULT_LANG", "LANGS", "catalogue", "has_key", "placeholders", "translate"]


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All keys of one language (an unknown language gives an empty catalogue)."""
    name = _FILES.get(lang)
    if name is None:
        return {}
    data: dict[str, str] = json.loads((_DIR / name).read_text(encoding="utf-8"))
    return data


def has_key(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalogue(lang)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a catalogue text expects."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def translate(lang: str, key: str, **params: Any) -> str:
    """The text for ``key`` in ``lang`` (then zh-CN, then the key), with ``params`` filled in.

    A missing parameter leaves its placeholder visible rather than raising: a screen must never fail
    because a message lacked a value.
    """
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key, key)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text.format_map(_Lenient(params))


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
