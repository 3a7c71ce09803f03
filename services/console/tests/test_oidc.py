"""Production sign-in through OIDC (Authlib) against a provider of our own on a real port: the
console sends the person to the provider, takes the code back, checks the ID token (signature,
issuer, audience, nonce), reads the person's roles and scopes from its claims and sends the
provider's access token to the services. A wrong state or an ID token for another client signs
no one in."""

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Form
from joserfc import jwt
from joserfc.jwk import RSAKey

from console.config import ConsoleSettings
from console.main import create_app
from llwybr_common.settings import Settings

from .conftest import REFERRAL, FakeServices

pytestmark = pytest.mark.unit

CLIENT_ID = "llwybr-console"
CONSOLE = "https://console.test"


@dataclass
class Provider:
    """An OIDC provider's three endpoints (discovery, token, keys), Entra ID's claim names."""

    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> ID token claims
    audience: str = CLIENT_ID

    def issue(self, nonce: str, **claims: Any) -> str:
        code = uuid.uuid4().hex
        now = int(time.time())
        self.codes[code] = {
            "iss": self.url,
            "aud": self.audience,
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
            **claims,
        }
        return code

    def app(self) -> FastAPI:
        a = FastAPI()

        @a.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @a.get("/keys")
        async def keys() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @a.post("/token")
        async def token(code: str = Form()) -> dict[str, Any]:
            claims = self.codes.pop(code)
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return {
                "access_token": f"provider-access-{claims['oid']}",
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": id_token,
            }

        return a


@pytest_asyncio.fixture
async def provider() -> AsyncIterator[Provider]:
    # Listening before the server starts: the console's first call waits in the backlog.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    p = Provider(url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    server = uvicorn.Server(uvicorn.Config(p.app(), log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield p
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest_asyncio.fixture
async def console(
    tmp_path: Path, fake: FakeServices, provider: Provider
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(home=tmp_path, mode="production", service_urls={"referral": REFERRAL})
    app = create_app(
        settings,
        ConsoleSettings(
            session_secret="a-production-secret-" + "x" * 32,
            oidc_metadata_url=f"{provider.url}/.well-known/openid-configuration",
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="client-secret",
        ),
        transport=httpx.MockTransport(fake.handle),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE) as client:
        yield client


async def to_provider(console: httpx.AsyncClient) -> dict[str, str]:
    """The sign-in page's button, then the redirect to the provider: its query."""
    page = await console.get("/sign-in")
    assert page.status_code == 200 and 'href="/sign-in/oidc"' in page.text
    assert "Siân Evans" not in page.text  # no seeded people outside embedded mode
    r = await console.get("/sign-in/oidc")
    assert r.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlparse(r.headers["location"]).query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{CONSOLE}/sign-in/callback"
    return query


OFFICER = {
    "sub": "pairwise-subject-1",
    "oid": "0f1e2d3c",
    "name": "Siân Evans",
    "roles": ["la-officer"],
    "llwybr_scopes": ["la:W06000015"],
}


async def test_the_id_tokens_claims_are_the_persons_roles_and_scopes(
    console: httpx.AsyncClient, provider: Provider, fake: FakeServices
) -> None:
    fake.on("GET", "/api/v1/cases", {"items": [], "next": None})
    asked = await to_provider(console)
    code = provider.issue(asked["nonce"], **OFFICER)
    r = await console.get("/sign-in/callback", params={"code": code, "state": asked["state"]})
    assert r.status_code == 303 and r.headers["location"] == "/cases"  # an LA officer's page
    page = await console.get("/cases")
    assert page.status_code == 200 and "Siân Evans" in page.text
    [read] = [s for s in fake.sent if s.url.path == "/api/v1/cases"]
    assert read.headers["authorization"] == "Bearer provider-access-0f1e2d3c"


async def test_a_wrong_state_signs_no_one_in(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    asked = await to_provider(console)
    code = provider.issue(asked["nonce"], **OFFICER)
    r = await console.get("/sign-in/callback", params={"code": code, "state": "forged"})
    assert r.status_code == 403
    assert (await console.get("/cases")).headers["location"].startswith("/sign-in")


async def test_an_id_token_for_another_client_signs_no_one_in(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    provider.audience = "some-other-app"
    asked = await to_provider(console)
    code = provider.issue(asked["nonce"], **OFFICER)
    r = await console.get("/sign-in/callback", params={"code": code, "state": asked["state"]})
    assert r.status_code == 403
    assert (await console.get("/cases")).headers["location"].startswith("/sign-in")
