"""Every service's API documents (`/docs`: Swagger UI, `/redoc`: ReDoc) with their scripts and
styles served by the service itself, never from a CDN, so the pages work on a closed network.
The assets are npm's built files, committed under `static/vendor` (see its VERSIONS)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VENDOR = Path(__file__).parent / "static" / "vendor"
ASSETS = "/docs-assets"
SWAGGER_UI = f"{ASSETS}/swagger-ui-dist-5.35.0"
REDOC = f"{ASSETS}/redoc-2.5.4"


def install_api_docs(app: FastAPI, *, title: str) -> None:
    """Serve /docs and /redoc from local assets; the app must be made with `docs_url=None,
    redoc_url=None` (FastAPI's own pages load from a CDN)."""
    app.mount(ASSETS, StaticFiles(directory=VENDOR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title}: API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title}: API",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
            with_google_fonts=False,
        )
