"""The console: the web UI for every role. It owns no data; it reads service APIs.

Placeholder for now: a bilingual landing page that links the services' API documents.
"""

import html
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from llwybr_common import auth
from llwybr_common.problems import install_problem_handlers
from llwybr_common.settings import get_settings

app = FastAPI(title="Llwybr console", version="1.0")
install_problem_handlers(app)

SERVICES = ("referral", "idp", "health-liaison", "notifications", "advocacy")


@app.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok", "service": "console"}


@app.get("/readyz", include_in_schema=False)
async def readyz() -> dict[str, str]:
    return {"status": "ok", "service": "console"}


@app.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks() -> dict[str, Any]:
    """The embedded signing key's public half; production points services at its IdP instead."""
    return auth.jwks(get_settings())


@app.get("/", response_class=HTMLResponse)
async def home() -> str:
    links = []
    urls = get_settings().service_urls
    for name in SERVICES:
        url = urls.get(name, "")
        if url:
            href = html.escape(url + "/docs")
            links.append(f'<li><a href="{href}">{html.escape(name)}</a></li>')
    return (
        '<!doctype html><html lang="cy"><head><meta charset="utf-8">'
        "<title>Llwybr</title></head><body>"
        '<h1><span lang="cy">Llwybr: y daith ADY</span> / '
        '<span lang="en">Llwybr: the ALN journey</span></h1>'
        "<p lang=\"cy\">Mae'r consol yn cael ei adeiladu. Dyma'r gwasanaethau:</p>"
        '<p lang="en">The console is being built. These are the services:</p>'
        f"<ul>{''.join(links)}</ul></body></html>"
    )
