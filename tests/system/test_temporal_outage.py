"""A short Temporal outage strands no case: referrals made while Temporal is down get a running
journey within a minute of its return, with nobody replaying anything; through the bridge (which
waits, reports itself not ready, and dead-letters nothing) and, with the bridge down as well,
through the worker's reconciler, which asks the referral service for open cases."""

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psutil
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter

from llwybr.dead_letters import read_dead_letters
from llwybr.stack import Stack, probe_temporal
from llwybr_contracts import topics
from llwybr_contracts.journey import QUERY_STATUS, JourneyStatus
from llwybr_contracts.temporal import journey_workflow_id
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

# 25 s in the suite; `LLWYBR_TEST_TEMPORAL_OUTAGE=180` runs the three minutes (same code path:
# the consumer waits on the dependency without spending its poison budget, however long).
OUTAGE_SECONDS = float(os.environ.get("LLWYBR_TEST_TEMPORAL_OUTAGE", "25"))


@pytest.fixture(scope="module")
def officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:W06000015')}"}


def stop(stack: Stack, name: str) -> list[str]:
    """Stop one recorded process of the stack; returns how it was started."""
    proc: psutil.Process = stack.live_processes()[name]
    argv = proc.cmdline()
    proc.terminate()
    try:
        proc.wait(15)
    except psutil.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    return argv


async def restart_temporal(stack: Stack, argv: list[str]) -> None:
    stack._spawn("temporal", argv)  # the same SQLite file: the workflows are still there
    assert stack.endpoints is not None
    address = stack.endpoints.temporal
    assert await eventually(lambda: probe_temporal(address), lambda r: r == "ok", within=30) == "ok"


class TemporalDown:
    """`with TemporalDown(stack): ...`: Temporal is stopped inside, and back after at least
    OUTAGE_SECONDS, whatever happens inside."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    async def __aenter__(self) -> "TemporalDown":
        self.argv = stop(self.stack, "temporal")
        self.since = time.monotonic()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - self.since)))
        await restart_temporal(self.stack, self.argv)
        self.back = time.monotonic()


async def refer(stack: Stack, headers: dict[str, str]) -> str:
    body: dict[str, Any] = {
        "learner": {
            "given_name": "Cerys",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2019-05-01",
        },
        "authority": "Caerdydd",
        "source": "parent",
        "received_on": "2026-11-16",
        "concern": "Speech and language",
    }
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=60) as http:
        response = await http.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def journeys_running(stack: Stack, case_ids: list[str]) -> dict[str, str]:
    """Each case's journey: "running" when Temporal has it running and the worker answers its
    status query, else what is wrong."""
    assert stack.endpoints is not None
    try:
        client = await Client.connect(
            stack.endpoints.temporal, data_converter=pydantic_data_converter
        )
    except Exception as exc:
        return dict.fromkeys(case_ids, f"no Temporal: {type(exc).__name__}")
    out = {}
    for case_id in case_ids:
        handle = client.get_workflow_handle(journey_workflow_id(case_id))
        try:
            described = await handle.describe()
            if described.status != WorkflowExecutionStatus.RUNNING:
                out[case_id] = f"status {described.status}"
                continue
            status = await asyncio.wait_for(
                handle.query(QUERY_STATUS, result_type=JourneyStatus), 5
            )
            out[case_id] = "running" if status.case_id == case_id else "wrong journey"
        except Exception as exc:
            out[case_id] = type(exc).__name__
    return out


def all_running(states: dict[str, str]) -> bool:
    return all(v == "running" for v in states.values())


async def readyz(stack: Stack, name: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url_of(name), timeout=30) as http:
        response = await http.get("/readyz")
    body: dict[str, Any] = response.json()
    body["http_status"] = response.status_code
    return body


async def test_referrals_during_a_temporal_outage_get_journeys_without_replay(
    running: Stack, officer: dict[str, str]
) -> None:
    async with TemporalDown(running) as outage:
        case_ids = list(await asyncio.gather(*(refer(running, officer) for _ in range(3))))

        def waiting(body: dict[str, Any]) -> bool:
            check = body.get("checks", {}).get("consumer journey-bridge", "")
            return isinstance(check, str) and check.startswith("waiting for temporal")

        ready = await eventually(lambda: readyz(running, "bridge"), waiting, within=20, every=1)
        assert ready["http_status"] == 503 and waiting(ready), ready

    states = await eventually(
        lambda: journeys_running(running, case_ids), all_running, within=60, every=1
    )
    assert all_running(states), states
    assert time.monotonic() - outage.back < 60
    ready = await eventually(
        lambda: readyz(running, "bridge"), lambda b: b["http_status"] == 200, within=30
    )
    assert ready["checks"]["consumer journey-bridge"] == "ok"
    assert running.endpoints is not None
    dead = await read_dead_letters(running.endpoints.kafka, topics.REFERRAL)
    assert not [d for d in dead if (d.envelope() or {}).get("subject") in case_ids]


@pytest.fixture
def bridge_stopped(running: Stack) -> Iterator[None]:
    # Through the stack, which knows the bridge may share a process with other services
    # (embedded mode) and starts that process again with everything it hosts.
    running.stop_one("bridge")
    try:
        yield
    finally:
        running.start_one("bridge")


async def test_the_reconciler_starts_journeys_no_event_started(
    running: Stack, officer: dict[str, str], bridge_stopped: None
) -> None:
    # With the bridge down too, no CaseOpened is acted on: only the worker's reconciler, asking
    # the referral service for open cases, can start these journeys.
    async with TemporalDown(running) as outage:
        case_ids = list(await asyncio.gather(*(refer(running, officer) for _ in range(2))))

    states = await eventually(
        lambda: journeys_running(running, case_ids), all_running, within=60, every=1
    )
    assert all_running(states), states
    assert time.monotonic() - outage.back < 60
