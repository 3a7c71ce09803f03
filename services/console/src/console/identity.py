"""Who is signed in: kept in the signed session cookie as ids, roles and scopes (and, in
production, the provider's access token for the services, sealed). The services check access
themselves; the console uses roles only to choose what to show."""

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from console import sealed
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings

SESSION_KEY = "user"


@dataclass(frozen=True)
class User:
    subject: str
    name: str
    roles: list[str]
    scopes: list[str] = field(default_factory=list)
    access_token: str | None = None  # production only: the OIDC provider's token

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))

    def scoped(self, kind: str) -> list[str]:
        return [s.split(":", 1)[1] for s in self.scopes if s.startswith(f"{kind}:")]


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in person; answered with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def settings_of(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def embedded(request: Request) -> bool:
    return settings_of(request).mode == "embedded"


def current_user(request: Request) -> User | None:
    if "session" not in request.scope:
        return None
    data: dict[str, Any] | None = request.session.get(SESSION_KEY)
    if not data:
        return None
    data = dict(data)
    data.pop("access_token", None)  # only ever kept sealed
    kept = data.pop("sealed_token", None)
    token = sealed.unseal(_token_key(request), kept, _max_age(request)) if kept else None
    return User(**data, access_token=token)


def sign_in(request: Request, user: User) -> None:
    """Into the signed session cookie: who the person is, and the provider's access token
    sealed (a signed cookie is readable by whoever holds it; console/sealed.py)."""
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    data = asdict(user)
    token = data.pop("access_token")
    if token:
        data["sealed_token"] = sealed.seal(_token_key(request), token)
    request.session[SESSION_KEY] = data


def _token_key(request: Request) -> bytes:
    key: bytes = request.app.state.token_key
    return key


def _max_age(request: Request) -> int:
    return int(request.app.state.console.session_max_age)


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise SignInRequired(request.url.path)
    return user


SignedIn = Annotated[User, Depends(require_user)]


def bearer(request: Request, user: User) -> str:
    """The token the console sends to the services for this person: minted for the session in
    embedded mode (as `llwybr dev-token` does; short-lived, never stored), the provider's
    access token in production."""
    settings = settings_of(request)
    if settings.mode == "embedded":
        return mint_token(
            settings,
            subject=user.subject,
            roles=user.roles,
            scopes=user.scopes,
            ttl_seconds=300,
        )
    if not user.access_token:
        raise SignInRequired("/")
    return user.access_token
