"""The console: the web UI for every role. It owns no data (only the signed session cookie);
every page reads or posts to a service's API as the signed-in person."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from console import pages, sealed
from console.config import ConsoleSettings, get_console_settings, session_secret
from console.identity import SignInRequired
from console.people import load_people
from console.services import ServiceProblem, Services
from console.templating import STATIC_DIR, render
from llwybr_common import auth
from llwybr_common.api_docs import install_api_docs
from llwybr_common.logs import setup_logging
from llwybr_common.settings import Settings, get_settings

log = logging.getLogger(__name__)
SESSION_COOKIE = "llwybr_console"


def create_app(
    settings: Settings | None = None,
    console: ConsoleSettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`transport` lets a test answer the services' calls itself."""
    settings = settings or get_settings()
    console = console or get_console_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging("console", settings.log_level)
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPI(
        title="Llwybr console", version="1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_api_docs(app, title="Llwybr console")
    app.state.settings = settings
    app.state.console = console
    app.state.services = Services(settings.service_urls, transport)
    app.state.people = load_people(console.people_file) if settings.mode == "embedded" else []
    secret = session_secret(settings, console)
    app.state.token_key = sealed.key_from(secret)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=console.session_max_age,
        same_site="lax",
        https_only=settings.mode != "embedded",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # GOV.UK Frontend's stylesheet names its images under /assets.
    app.mount(
        "/assets",
        StaticFiles(directory=STATIC_DIR / "vendor" / "govuk-frontend-6.3.0" / "assets"),
        name="assets",
    )
    for router in pages.routers():
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/sign-in?next={exc.next_path}", status_code=303)

    @app.exception_handler(ServiceProblem)
    async def service_problem(request: Request, exc: ServiceProblem) -> Response:
        """A service that could not answer a page's read: say so, with its reason."""
        log.warning("a service could not answer", extra={"code": exc.code, "status": exc.status})
        return render(request, "error.html", status_code=503, kind="unavailable", problem=exc)

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {403: "forbidden", 404: "not-found"}.get(exc.status_code, "error")
        return render(request, "error.html", status_code=exc.status_code, kind=kind)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "console"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, str]:
        return {"status": "ok", "service": "console"}

    @app.get("/.well-known/jwks.json", include_in_schema=False)
    async def jwks() -> dict[str, Any]:
        """The embedded signing key's public half; production points services at its IdP."""
        return auth.jwks(settings)

    return app
