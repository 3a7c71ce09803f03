"""The provider's access token in the session cookie: sealed, never readable from the cookie,
and refused when sealed under another key or older than a sign-in lasts."""

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

from console import sealed
from console.config import ConsoleSettings
from console.identity import User, current_user, sign_in

pytestmark = pytest.mark.unit

TOKEN = "eyJhbGciOiJSUzI1NiJ9.provider-access-token.signature"


def app(secret: str, max_age: int = 3600) -> FastAPI:
    a = FastAPI()
    a.state.token_key = sealed.key_from(secret)
    a.state.console = ConsoleSettings(session_max_age=max_age)
    a.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="s")

    @a.post("/in")
    async def signed_in(request: Request) -> dict[str, Any]:
        user = User("sub-1", "Rhian", ["la-manager"], ["la:W06000015"], access_token=TOKEN)
        sign_in(request, user)
        return {}

    @a.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        user = current_user(request)
        return {"token": user.access_token if user else None}

    return a


def cookie_contents(client: httpx.AsyncClient) -> str:
    """What anyone holding the cookie can read (Starlette signs it, base64 JSON, a timestamp)."""
    payload = client.cookies["s"].split(".")[0]
    return base64.b64decode(payload + "==").decode()


async def test_the_token_is_sealed_in_the_cookie_and_opened_by_the_console() -> None:
    transport = httpx.ASGITransport(app=app("secret-one"))
    async with httpx.AsyncClient(transport=transport, base_url="http://c.test") as client:
        await client.post("/in")
        readable = cookie_contents(client)
        stored = json.loads(readable)["user"]
        assert "provider-access-token" not in readable and "access_token" not in stored
        assert stored["sealed_token"] and stored["roles"] == ["la-manager"]
        assert (await client.get("/me")).json() == {"token": TOKEN}


async def test_a_cookie_sealed_under_another_secret_carries_no_token() -> None:
    first = httpx.ASGITransport(app=app("secret-one"))
    async with httpx.AsyncClient(transport=first, base_url="http://c.test") as client:
        await client.post("/in")
        sealed_token = json.loads(cookie_contents(client))["user"]["sealed_token"]
    other = sealed.key_from("secret-two")
    assert sealed.unseal(other, sealed_token, 3600) is None
    assert sealed.unseal(sealed.key_from("secret-one"), sealed_token[:-4] + "AAAA", 3600) is None
    assert sealed.unseal(sealed.key_from("secret-one"), sealed_token, 3600) == TOKEN


def test_a_sealed_token_older_than_a_sign_in_is_refused() -> None:
    from cryptography.fernet import Fernet

    key = sealed.key_from("secret-one")
    old = Fernet(key).encrypt_at_time(TOKEN.encode(), current_time=1_000_000).decode()
    assert sealed.unseal(key, old, max_age=8 * 3600) is None
    assert sealed.unseal(key, sealed.seal(key, TOKEN), max_age=8 * 3600) == TOKEN
