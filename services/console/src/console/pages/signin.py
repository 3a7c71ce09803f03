"""Signing in and out, and the language switch.

Embedded mode: a page listing the seeded people (no passwords), clearly marked as not for
production. Production: OIDC with the configured provider (Entra ID expected) through Authlib;
roles and scopes come from the ID token's claims, and the provider's access token is what the
console sends to the services."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console import csrf
from console.config import ConsoleSettings
from console.identity import User, current_user, embedded, sign_in
from console.language import COOKIE, LANGUAGES
from console.people import Person
from console.templating import render
from llwybr_common.auth import LA_ROLES

router = APIRouter()
YEAR = 365 * 24 * 3600


def local_path(path: str | None, default: str = "/") -> str:
    """Only a path on this site (never `//host` or a URL): no open redirect."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def landing(user: User) -> str:
    """Each role's main page."""
    if user.has_role(*LA_ROLES, "school-alnco", "fei-alnco", "admin"):
        return "/cases"
    if user.has_role("declo", "health-liaison", "clinician", "board-aln-lead"):
        return "/health-requests"
    if user.has_role("advocate"):
        return "/advocacy"
    if user.has_role("wg-analyst"):
        return "/dashboard"
    return "/home"


@router.get("/")
async def root(request: Request) -> Response:
    user = current_user(request)
    return RedirectResponse(landing(user) if user else "/sign-in", status_code=303)


@router.get("/home")
async def home(request: Request) -> Response:
    return render(request, "home.html")


@router.get("/language/{lang}")
async def switch_language(lang: str, next: str | None = None) -> Response:
    if lang not in LANGUAGES:
        raise HTTPException(404)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(COOKIE, lang, max_age=YEAR, samesite="lax", httponly=True)
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    people: list[Person] = request.app.state.people
    by_role: dict[str, list[Person]] = {}
    for person in people:
        by_role.setdefault(person.role, []).append(person)
    return render(
        request, "sign_in.html", by_role=by_role, next=local_path(next, ""), oidc=_oidc(request)
    )


@router.post("/sign-in", dependencies=[Depends(csrf.verify)])
async def sign_in_as(
    request: Request, subject: Annotated[str, Form()], then: Annotated[str, Form()] = ""
) -> Response:
    """Embedded mode only: sign in as one of the seeded people."""
    if not embedded(request):
        raise HTTPException(404)
    people: list[Person] = request.app.state.people
    person = next((p for p in people if p.subject == subject), None)
    if person is None:
        raise HTTPException(403)
    user = User(subject=person.subject, name=person.name, roles=[person.role], scopes=person.scopes)
    sign_in(request, user)
    response = RedirectResponse(local_path(then, landing(user)), status_code=303)
    if request.cookies.get(COOKIE) not in LANGUAGES and person.language in LANGUAGES:
        response.set_cookie(COOKIE, person.language, max_age=YEAR, samesite="lax", httponly=True)
    return response


@router.post("/sign-out", dependencies=[Depends(csrf.verify)])
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)


# --- production: OIDC ---------------------------------------------------------------------


def _oidc(request: Request) -> Any:
    """The Authlib client, registered once from settings; None when not configured."""
    console: ConsoleSettings = request.app.state.console
    if embedded(request) or not (console.oidc_metadata_url and console.oidc_client_id):
        return None
    # Imported here, where OIDC is configured: Authlib warns on import (its httpx module is
    # deprecated), and that warning would be a plain-text line before logging is set up.
    from authlib.integrations.starlette_client import OAuth

    oauth: Any = getattr(request.app.state, "oauth", None)
    if oauth is None:
        oauth = OAuth()
        oauth.register(
            "provider",
            server_metadata_url=console.oidc_metadata_url,
            client_id=console.oidc_client_id,
            client_secret=console.oidc_client_secret,
            client_kwargs={"scope": console.oidc_scope},
        )
        request.app.state.oauth = oauth
    return oauth.provider


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    client = _oidc(request)
    if client is None:
        raise HTTPException(404)
    redirect: Response = await client.authorize_redirect(
        request, str(request.url_for("oidc_callback"))
    )
    return redirect


@router.get("/sign-in/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    client = _oidc(request)
    if client is None:
        raise HTTPException(404)
    from authlib.integrations.starlette_client import OAuthError
    from joserfc.errors import JoseError

    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, JoseError) as exc:  # JoseError: an ID token that fails its checks
        raise HTTPException(403) from exc
    console: ConsoleSettings = request.app.state.console
    claims = token.get("userinfo") or {}
    roles = _as_list(claims.get(console.oidc_roles_claim))
    user = User(
        subject=str(claims.get("oid") or claims.get("sub")),
        name=str(claims.get("name") or claims.get("preferred_username") or ""),
        roles=roles,
        scopes=_as_list(claims.get(console.oidc_scopes_claim)),
        access_token=token.get("access_token"),
    )
    sign_in(request, user)
    return RedirectResponse(landing(user), status_code=303)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value or []]
