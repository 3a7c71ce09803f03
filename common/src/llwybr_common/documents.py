"""Documents people read: HTML from a service's Jinja2 templates, and PDF from that HTML.

One home for both so a plan, a decision notice and an email look and behave alike: templates
autoescape (plan text and names are user input), fixed text comes from the message catalogues
through `t(msgid, lang, **params)`, and a PDF is the same accessible HTML printed by WeasyPrint
(tagged PDF, so a screen reader follows the headings; the document's `lang` is carried over).
"""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from llwybr_common.i18n import Lang, translate


def _t(msgid: str, lang: str, **params: Any) -> str:
    return translate(msgid, Lang(lang), params, fallback=msgid)


def template_environment(templates: Path) -> Environment:
    """A Jinja2 environment over one service's template folder, with `t` for catalogue text."""
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(("html", "xml", "j2")),
        undefined=StrictUndefined,  # a missing value is a bug, never a blank in a notice
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = _t
    return env


def pdf_from_html(html: str) -> bytes:
    """The HTML printed as a tagged PDF (PDF/UA-1, so its structure survives for readers)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only documents need

    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return pdf
