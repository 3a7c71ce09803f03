"""The walking skeleton on the whole embedded stack, every component its own process:
a referral posted over HTTP becomes an in-app notification, under one trace id, and a
broker restart followed by `llwybr replay` loses nothing."""

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llwybr.stack import Stack, create_topics, tansu_bin
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system


@pytest.fixture(scope="session")
def officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:W06000015')}"}


def referral_body(authority: str = "Caerdydd") -> dict[str, Any]:
    return {
        # A new learner each time: a second referral for the same learner is refused (409).
        "learner": {
            "given_name": "Cerys",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2019-05-01",
        },
        "authority": authority,
        "source": "parent",
        "received_on": "2026-11-16",
        "concern": "Speech and language",
    }


async def post_referral(stack: Stack, headers: dict[str, str]) -> tuple[str, str]:
    async with httpx.AsyncClient(
        base_url=stack.url_of("referral"), timeout=30, headers=headers
    ) as http:
        response = await http.post("/api/v1/referrals", json=referral_body())
    assert response.status_code == 201, response.text
    return response.json()["case_id"], response.headers["x-trace-id"]


async def notifications_for(
    stack: Stack, case_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=stack.url_of("notifications"), timeout=10) as http:
        response = await http.get(
            "/api/v1/notifications", params={"case_id": case_id}, headers=headers
        )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def spans_of(stack: Stack, trace_id: str) -> list[dict[str, Any]]:
    path = stack.logs / "spans.jsonl"
    if not path.exists():
        return []
    spans = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [s for s in spans if s["trace_id"] == trace_id]


async def test_referral_becomes_a_notification_under_one_trace(
    running: Stack, officer: dict[str, str], token: Callable[..., str]
) -> None:
    case_id, trace_id = await post_referral(running, officer)

    items = await eventually(lambda: notifications_for(running, case_id, officer), bool, within=60)
    assert len(items) == 1
    note = items[0]
    assert note["kind"] == "journey-started"
    assert note["recipient_scope"] == "la:W06000015"  # Caerdydd is Cardiff
    assert case_id in note["text_cy"] and case_id in note["text_en"]
    assert note["trace_id"] == trace_id
    # Notifications are addressed to a role in a scope: another authority's officer sees none.
    swansea = {"Authorization": f"Bearer {token('la-officer', 'la:W06000011')}"}
    assert await notifications_for(running, case_id, swansea) == []

    async def seen() -> set[tuple[str, str]]:
        return {(s["service"], s["kind"]) for s in spans_of(running, trace_id)}

    wanted = {
        ("llwybr-referral", "SERVER"),  # HTTP
        ("llwybr-referral", "PRODUCER"),  # Kafka, from the outbox relay
        ("llwybr-bridge", "CONSUMER"),
        ("llwybr-worker", "SERVER"),  # Temporal RunWorkflow / RunActivity
        ("llwybr-worker", "PRODUCER"),  # the journey's outbox relay
        ("llwybr-notifications", "CONSUMER"),
    }
    got = await eventually(seen, lambda s: wanted <= s, within=20)
    assert wanted <= got
    names = {s["name"] for s in spans_of(running, trace_id)}
    assert {"RunWorkflow:IdpJourney", "POST /api/v1/referrals"} <= names


def restart_broker(stack: Stack) -> None:
    """Kill the dev broker we started (it forgets everything) and start a fresh one."""
    kafka = stack.live_processes()["kafka"]
    kafka.kill()
    kafka.wait(10)
    url = f"tcp://{stack.endpoints.kafka}"  # type: ignore[union-attr]
    stack._spawn(
        "kafka",
        [str(tansu_bin()), "broker", "--listener-url", url, "--advertised-listener-url", url],
    )


async def test_broker_restart_then_replay_loses_nothing(
    running: Stack, officer: dict[str, str]
) -> None:
    before, _ = await post_referral(running, officer)
    await eventually(lambda: notifications_for(running, before, officer), bool, within=60)

    restart_broker(running)
    during, _ = await post_referral(running, officer)  # committed; its events wait in the outboxes
    await eventually(lambda: _topics(running), bool, within=30)

    replay = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "llwybr.cli",
            "replay",
            "--since",
            "1h",
            "--home",
            str(running.home),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stderr
    assert "will be re-sent" in replay.stdout

    items = await eventually(lambda: notifications_for(running, during, officer), bool, within=90)
    assert len(items) == 1
    # Everything since an hour ago was sent again; inboxes kept every effect single.
    assert len(await notifications_for(running, before, officer)) == 1


async def _topics(stack: Stack) -> list[str]:
    try:
        return await create_topics(stack.endpoints.kafka) or ["exists"]  # type: ignore[union-attr]
    except Exception:
        return []
