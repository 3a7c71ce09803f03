"""Which language a page is in, and its texts from the message catalogues (`console.*`).

The console shows one language at a time: the person's choice (a cookie set by the switch on
every page), else what the browser asks for, else Welsh (Welsh first when no preference is
stated, as everywhere in Llwybr)."""

from datetime import date
from typing import Any

from fastapi import Request

from llwybr_common.i18n import Lang, choose_language, has_message, lookup

COOKIE = "llwybr_lang"
LANGUAGES = ("cy", "en")


def chosen_language(request: Request) -> str | None:
    """The language the reader chose with the switch on every page, if they have."""
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else None


def page_language(request: Request) -> str:
    chosen = chosen_language(request)
    if chosen:
        return chosen
    asked = choose_language(request.headers.get("accept-language"))
    return "en" if asked is Lang.EN else "cy"


def text(key: str, lang: str, **params: Any) -> str:
    """`console.<key>` in `lang`; the bare key when a text is missing, so a gap is visible
    (and the catalogue test fails) rather than an empty label."""
    return lookup(f"console.{key}", lang, params) or f"console.{key}"


def long_date(day: date | str | None, lang: str) -> str:
    """27 Tachwedd 2026 / 27 November 2026 (GOV.UK style: no leading zero, month in words);
    `day` may be an ISO date as the services' JSON gives it."""
    if not day:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.day} {text(f'month.{day.month}', lang)} {day.year}"


def has_text(key: str) -> bool:
    return has_message(f"console.{key}")
