"""`llwybr up --workers 2`: two workflow worker processes, each on its own port, both polling the
journey's task queue; they share the calendar store (an import through one is used by both);
with the first one stopped, the second alone carries a new journey."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from llwybr.components import PORT_SPAN
from llwybr.stack import Stack, free_port_base
from llwybr_common.auth import mint_token, service_token
from llwybr_common.settings import Settings
from llwybr_contracts.temporal import TASK_QUEUE
from tests.integration.helpers import eventually
from tests.system.test_referral import CARDIFF, referral

pytestmark = pytest.mark.system

CEREDIGION = "W06000008"  # no other test imports its calendar
FIXTURE = Path(__file__).parents[2] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"


@pytest.fixture(scope="module")
def two_workers() -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLWYBR_")}
    # Not under pytest's basetemp, which another pytest run may prune under PostgreSQL.
    home = Path(tempfile.mkdtemp(prefix="llwybr-workers-"))
    stack = Stack(home, free_port_base(span=PORT_SPAN + 1), environ=env, workers=2)
    try:
        stack.spawn_components()
        stack.start_infra()
        stack.start_components()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


async def pollers(stack: Stack) -> set[str]:
    """The identities (`<pid>@<host>`) polling the journey's workflow task queue."""
    assert stack.endpoints is not None
    client = await Client.connect(stack.endpoints.temporal)
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return {p.identity for p in answer.pollers}


async def journey_started(stack: Stack) -> list[dict[str, Any]]:
    """Post a referral; the notifications its journey's `JourneyStarted` became (poll)."""
    token = mint_token(
        Settings(home=stack.home), subject="test", roles=["la-officer"], scopes=[f"la:{CARDIFF}"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(
            f"{stack.url_of('referral')}/api/v1/referrals", json=referral(), headers=headers
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]

        async def notes() -> list[dict[str, Any]]:
            got = await http.get(
                f"{stack.url_of('notifications')}/api/v1/notifications",
                params={"case_id": case_id},
                headers=headers,
            )
            got.raise_for_status()
            items: list[dict[str, Any]] = got.json()["items"]
            return [n for n in items if n["kind"] == "journey-started"]

        return await eventually(notes, bool, within=90)


async def test_two_worker_processes_each_on_its_port_both_poll(two_workers: Stack) -> None:
    live = two_workers.live_processes()
    assert live["worker"].pid != live["worker-2"].pid
    assert two_workers.ports["worker"] != two_workers.ports["worker-2"]
    health = two_workers.status()["health"]
    assert health["worker"] == "ok" and health["worker-2"] == "ok"
    wanted = {str(live["worker"].pid), str(live["worker-2"].pid)}
    seen = await eventually(
        lambda: pollers(two_workers), lambda got: wanted <= {i.split("@")[0] for i in got}
    )
    assert wanted <= {identity.split("@")[0] for identity in seen}
    assert len(await journey_started(two_workers)) == 1


async def test_a_calendar_imported_through_one_worker_is_used_by_both(two_workers: Stack) -> None:
    """The calendar store is the journey's schema, not one process's files (docs/rules.md,
    calendars; issue 15 item 9). Each worker first loads and caches the shipped calendar with
    the journey's own `load_case_setup` loader (served to intake); an import through worker-2
    is then what both count on, the first worker's cache notwithstanding."""
    settings = Settings(home=two_workers.home)
    service = {"Authorization": f"Bearer {service_token(settings, 'referral')}"}
    officer = mint_token(settings, subject="t", roles=["la-officer"], scopes=[f"la:{CEREDIGION}"])

    async def loaded(http: httpx.AsyncClient) -> list[tuple[str, bool]]:
        found = []
        for worker in ("worker", "worker-2"):
            r = await http.get(
                f"{two_workers.url_of(worker)}/api/v1/internal/journey-calendars/{CEREDIGION}",
                params={"year": 2026},
                headers=service,
            )
            assert r.status_code == 200, r.text
            calendar = r.json()["school_calendar"]
            found.append((calendar["version"], calendar["illustrative"]))
        return found

    async with httpx.AsyncClient(timeout=60) as http:
        [first, second] = await loaded(http)
        assert first == second and first[1], "both start on the shipped, illustrative calendar"
        upload = {"authority": CEREDIGION, "format": "csv", "calendar": FIXTURE.read_text("utf-8")}
        r = await http.post(
            f"{two_workers.url_of('worker-2')}/api/v1/calendars",
            json=upload,
            headers={"Authorization": f"Bearer {officer}"},
        )
        assert r.status_code == 201, r.text
        version = r.json()["calendar_version"]
        assert version != first[0]
        assert await loaded(http) == [(version, False), (version, False)]


async def test_the_second_worker_alone_carries_a_journey(two_workers: Stack) -> None:
    two_workers.stop_one("worker")
    assert "worker" not in two_workers.live_processes()
    assert len(await journey_started(two_workers)) == 1
