"""The console in process, its calls to the services answered by a fake (httpx MockTransport):
fast tests of what the pages render and post, with no browser and no stack."""

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from console.config import ConsoleSettings
from console.main import create_app
from llwybr_common.settings import Settings

PEOPLE = Path(__file__).resolve().parents[3] / "deploy" / "src" / "llwybr" / "data" / "people.csv"
REFERRAL = "http://referral.test"
HEALTH = "http://health.test"
NOTIFICATIONS = "http://notifications.test"
IDP = "http://idp.test"
ADVOCACY = "http://advocacy.test"
INSIGHT = "http://insight.test"
WORKER = "http://worker.test"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeServices:
    """Routes `METHOD path-regex` to answers; records every request it was sent."""

    routes: dict[str, Handler | Any] = field(default_factory=dict)
    sent: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, answer: Handler | Any, status: int = 200) -> None:
        if not callable(answer):
            body = answer
            answer = lambda _r: httpx.Response(status, json=body)  # noqa: E731
        self.routes[f"{method} {path}"] = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        for key, answer in self.routes.items():
            method, pattern = key.split(" ", 1)
            if method == request.method and re.fullmatch(pattern, request.url.path):
                response: httpx.Response = answer(request)
                return response
        return httpx.Response(404, json={"code": "not-found", "title": "Not found"})

    def last_body(self) -> Any:
        """The body of the last POST."""
        return json.loads([r for r in self.sent if r.method == "POST"][-1].content)


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest_asyncio.fixture
async def console(tmp_path: Path, fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        home=tmp_path,
        service_urls={
            "referral": REFERRAL,
            "health-liaison": HEALTH,
            "notifications": NOTIFICATIONS,
            "idp": IDP,
            "advocacy": ADVOCACY,
            "insight": INSIGHT,
            "worker": WORKER,
        },
    )
    app = create_app(
        settings,
        ConsoleSettings(people_file=PEOPLE),
        transport=httpx.MockTransport(fake.handle),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        yield client
