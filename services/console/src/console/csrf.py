"""CSRF protection on every form: a random token per session, sent back as a hidden field and
compared in constant time before any POST is acted on (the cookie alone proves nothing)."""

import hmac
import secrets

from fastapi import HTTPException, Request

FIELD = "csrf_token"
_KEY = "csrf"


def token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    value: str | None = request.session.get(_KEY)
    if not value:
        value = secrets.token_urlsafe(32)
        request.session[_KEY] = value
    return value


async def verify(request: Request) -> None:
    """A dependency of every POST route."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(_KEY) if "session" in request.scope else None
    if not (isinstance(sent, str) and expected and hmac.compare_digest(sent, expected)):
        raise HTTPException(status_code=403, detail="csrf")
