"""PostgreSQL goes away under a running service and comes back: meanwhile the service answers
problem+json 503 with Retry-After and /readyz says not ready; afterwards it answers 200 again
without being restarted.

The PostgreSQL stopped here is this test's own (its own stack, with its own broker so its
consumer group is nobody else's); Temporal and the mail sink are the session's, used as
external endpoints and never stopped.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llwybr.stack import Endpoints, Stack, free_port_base
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

SERVICE = "notifications"  # reads PostgreSQL on every request and needs no Temporal


@pytest.fixture
def own_stack(infra: Endpoints) -> Iterator[Stack]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LLWYBR_")}
    environ |= {
        "LLWYBR_TEMPORAL_ADDRESS": infra.temporal,
        "LLWYBR_SMTP_HOST": infra.smtp_host,
        "LLWYBR_SMTP_PORT": str(infra.smtp_port),
    }
    home = Path(tempfile.mkdtemp(prefix="llwybr-outage-"))
    stack = Stack(home, free_port_base(), environ=environ)
    try:
        assert stack.embedded == ["postgres", "kafka"]
        stack.start_infra()
        stack.start_components([SERVICE])
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


async def test_a_database_outage_answers_503_and_the_service_recovers_by_itself(
    own_stack: Stack,
) -> None:
    token = mint_token(
        Settings(home=own_stack.home), subject="t", roles=["la-officer"], scopes=["la:W06000015"]
    )
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "cy"}
    service_pid = own_stack.record["processes"][SERVICE]["pid"]

    async with httpx.AsyncClient(base_url=own_stack.url_of(SERVICE), timeout=30) as http:

        async def notifications() -> httpx.Response:
            return await http.get("/api/v1/notifications?case_id=c1", headers=headers)

        assert (await notifications()).status_code == 200

        own_stack.stop_one("postgres")
        down = await notifications()
        assert down.status_code == 503, down.text
        assert down.headers["content-type"] == "application/problem+json"
        assert int(down.headers["retry-after"]) > 0
        assert down.json()["code"] == "dependency-unavailable"
        assert down.json()["title"] == "Nid yw gwasanaeth y mae Llwybr yn dibynnu arno ar gael"
        assert (await http.get("/readyz")).status_code == 503
        # A POST with an Idempotency-Key fails claiming its key first: the same 503, not a 500.
        keyed = {**headers, "Idempotency-Key": "outage-1"}
        claimed = await http.post("/api/v1/recipients", json={}, headers=keyed)
        assert claimed.status_code == 503, claimed.text
        assert claimed.json()["code"] == "dependency-unavailable"

        own_stack.start_one("postgres")
        back = await eventually(notifications, lambda r: r.status_code == 200, within=30)
        assert back.status_code == 200, back.text
        assert back.json() == {"items": []}
        ready = await eventually(lambda: http.get("/readyz"), lambda r: r.status_code == 200)
        assert ready.status_code == 200, ready.text

    assert own_stack.record["processes"][SERVICE]["pid"] == service_pid  # never restarted
    assert SERVICE in own_stack.live_processes()
