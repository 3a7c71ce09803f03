"""Jinja2 with the GOV.UK Frontend macros (govuk-frontend-jinja) and the console's templates;
`render` fills in what every page needs (language, the signed-in person, the CSRF token)."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    PrefixLoader,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from console import csrf, identity
from console.language import has_text, long_date, page_language, text

STATIC_DIR = Path(__file__).parent / "static"
GOVUK_FRONTEND = "/static/vendor/govuk-frontend-6.3.0"
HTMX = "/static/vendor/htmx.org-2.0.11/htmx.min.js"
CHART_JS = "/static/vendor/chart.js-4.6.1/chart.umd.min.js"


@pass_context
def _t(ctx: Context, key: str, **params: Any) -> str:
    return text(key, ctx["lang"], **params)


@pass_context
def _long_date(ctx: Context, day: Any) -> str:
    return long_date(day, ctx["lang"])


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("console", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=_t, has_text=has_text, GOVUK_FRONTEND=GOVUK_FRONTEND, HTMX=HTMX, CHART_JS=CHART_JS
    )
    env.filters["long_date"] = _long_date
    return env


ENV = make_environment()


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    lang: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """`lang`: the page's language when the page knows better than the request (the family
    view: the family's own preference)."""
    lang = lang or page_language(request)
    user = identity.current_user(request)
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    page = ENV.get_template(template).render(
        request=request,
        lang=lang,
        other_lang="en" if lang == "cy" else "cy",
        user=user,
        csrf_token=csrf.token(request),
        embedded=identity.embedded(request),
        flash=flash,
        **context,
    )
    return HTMLResponse(page, status_code=status_code)
