"""An issued version as a document the family reads: accessible HTML, and a tagged PDF printed
from the same HTML (`llwybr_common.documents`).

Headings, labels and fixed text come from the catalogues in Welsh, English, or both with Welsh
first (`cy-en`); the plan's own content is shown as written, and the document says in which
language it was written (Act s.22; the Code's mandatory form, headings in its order).
"""

from datetime import date
from pathlib import Path
from typing import Any

from idp.models import IdpVersion
from llwybr_common.documents import pdf_from_html, template_environment
from llwybr_common.i18n import SEPARATOR, lookup

TEMPLATES = Path(__file__).parent / "templates"
LANGS = {"cy": "cy", "en": "en", "both": "cy-en"}


def long_date(value: date | str | None, lang: str) -> str:
    """`27 Tachwedd 2026`, `27 November 2026`, or both, Welsh first."""
    if value is None:
        return "-"
    d = value if isinstance(value, date) else date.fromisoformat(value)

    def one(code: str) -> str:
        return f"{d.day} {lookup(f'idp.month.{d.month}', code)} {d.year}"

    return SEPARATOR.join(one(c) for c in ("cy", "en")) if lang == "cy-en" else one(lang)


def _environment() -> Any:
    env = template_environment(TEMPLATES)
    env.filters["long_date"] = long_date
    return env


ENV = _environment()


def render_html(version: IdpVersion, lang: str) -> str:
    content = version.content
    items = content.get("provision", [])
    code = LANGS[lang]
    return str(
        ENV.get_template("idp.html.j2").render(
            lang=code,
            html_lang="cy" if code != "en" else "en",
            version=version,
            content=content,
            items=items,
        )
    )


def render_pdf(html: str) -> bytes:
    return pdf_from_html(html)
