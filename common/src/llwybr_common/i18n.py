"""Welsh and English message catalogues, and the caller's choice between them.

The catalogues are gettext `.po` files under `locale/<lang>/LC_MESSAGES/llwybr.po`, read
directly at first use (Babel is not among the pinned dependencies, and reading the source
file means there is no compiled `.mo` to fall out of step with it). Message ids are stable
codes (`problem.<code>.title`, `problem.<code>.detail`, `field.<code>`); texts fill in
`{name}` parameters, which are ids, codes and dates only.

A caller asks for a language with `Accept-Language`: Welsh when it prefers `cy`, English when
it prefers `en`, both (Welsh first) when it states no preference between them.
"""

import ast
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "llwybr"


class Lang(StrEnum):
    CY = "cy"
    EN = "en"
    BOTH = "cy-en"  # no preference: Welsh first, then English

    @property
    def content_language(self) -> str:
        return "cy, en" if self is Lang.BOTH else self.value


SEPARATOR = " / "  # between the Welsh and the English text when both are given


def choose_language(accept_language: str | None) -> Lang:
    """The language an `Accept-Language` header asks for (RFC 9110 section 12.5.4).

    The highest-weighted of `cy` and `en` (with any region, e.g. `en-GB`) wins; on a tie the
    one listed first. No header, `*`, or only other languages: both, Welsh first.
    """
    best: tuple[float, int, Lang] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("cy", "en"):
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight <= 0:
            continue
        candidate = (weight, -position, Lang(primary))
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else Lang.BOTH


def _unquote(line: str) -> str:
    value = ast.literal_eval(line)
    if not isinstance(value, str):
        raise ValueError(f"not a quoted string: {line!r}")
    return value


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a `.po` file (plain entries; no plurals or contexts are used)."""
    messages: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    current: str | None = None

    def flush() -> None:
        if msgid:  # the header entry has an empty msgid
            messages[msgid] = msgstr or ""

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr, current = _unquote(line[6:]), None, "id"
        elif line.startswith("msgstr "):
            msgstr, current = _unquote(line[7:]), "str"
        elif line.startswith('"'):
            if current == "id" and msgid is not None:
                msgid += _unquote(line)
            elif current == "str" and msgstr is not None:
                msgstr += _unquote(line)
        else:
            raise ValueError(f"unexpected line in catalogue: {raw!r}")
    flush()
    return messages


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(lang: str) -> dict[str, str]:
    return parse_po(catalogue_path(lang).read_text(encoding="utf-8"))


class _Params(dict[str, Any]):
    """Parameters for a text; a missing one shows as its name rather than failing a response."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def lookup(msgid: str, lang: str, params: dict[str, Any] | None = None) -> str | None:
    """The text of `msgid` in one language (`cy` or `en`), or None when it has none."""
    text = catalogue(lang).get(msgid)
    if not text:
        return None
    return text.format_map(_Params(params or {}))


def has_message(msgid: str) -> bool:
    return bool(catalogue("cy").get(msgid)) and bool(catalogue("en").get(msgid))


def translate(
    msgid: str, lang: Lang, params: dict[str, Any] | None = None, *, fallback: str = ""
) -> str:
    """The text in the chosen language, or both (Welsh first). An id without a text falls back
    to `fallback` (English from elsewhere), so an answer is never empty."""
    if lang is Lang.BOTH:
        cy, en = lookup(msgid, "cy", params), lookup(msgid, "en", params)
        if cy and en:
            return cy if cy == en else f"{cy}{SEPARATOR}{en}"
        return cy or en or fallback
    return lookup(msgid, lang.value, params) or fallback
