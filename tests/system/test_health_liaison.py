"""health-liaison on the real stack (real PostgreSQL, Tansu, Temporal, every service its own
process): a s.20 request made through the case API reaches the right board's inbox with the
learner fetched by claim-check, and the board's answer meets the journey's `health-response`
clock; a published `HealthInputRequested` for Cardiff lands in Cardiff and Vale's inbox and no
other board's, due 6 weeks after receipt rolled to a working day (Regs reg 11), and the answer
leaves on `aln.health.v1` with the outcome code only."""

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from health_liaison import fhir_resources as fr
from health_liaison.routing import health_response_due
from llwybr.stack import Endpoints, Stack, event_keys_env, probe_http
from llwybr_common.auth import mint_token
from llwybr_common.event_signing import EventSigner, load_signer
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import HealthInputRequested
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF, CARDIFF_AND_VALE = "W06000015", "W11000029"
OTHER_BOARDS = ("W11000023", "W11000024", "W11000025", "W11000028", "W11000030", "W11000031")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def referral_body() -> dict[str, Any]:
    return {
        "source": "school",
        "received_on": "2026-11-20",
        "learner": {
            "given_name": "Cai",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2017-05-02",
            "preferred_language": "cy",
            "nhs_number": "943 476 5919",
        },
        "authority": CARDIFF,
        "school": {"name": "Ysgol Enghraifft", "ref": "6812345"},
        "concern": "Speech unclear",
        "referrer": {"name": "A. ALNCo", "role": "ALNCo"},
    }


async def test_a_request_through_the_case_api_is_answered_and_the_journey_meets_its_clock(
    running: Stack, token: Callable[..., str]
) -> None:
    """Case API -> journey -> HealthInputRequested -> this inbox -> response -> journey."""
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    declo = {"Authorization": f"Bearer {token('declo', 'board:' + CARDIFF_AND_VALE)}"}
    referral_url, liaison_url = running.url_of("referral"), running.url_of("health-liaison")
    async with httpx.AsyncClient(base_url=referral_url, timeout=30) as http:
        opened = await http.post("/api/v1/referrals", json=referral_body(), headers=officer)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        asked = await http.post(
            f"/api/v1/cases/{case_id}/health-requests", json={"reason": "Speech"}, headers=officer
        )
        assert asked.status_code == 202, asked.text
    request_id = asked.json()["request_id"]

    async def mine() -> list[dict[str, Any]]:
        return [i for i in await inbox(liaison_url, declo) if i["request_id"] == request_id]

    [item] = await eventually(mine, bool, within=60)
    received = date.fromisoformat(item["received_on"])
    due = date.fromisoformat(item["due"])
    # Regs reg 11: 6 weeks from receipt, rolled over to a working day (reg 2(4)).
    assert due == health_response_due(received).due
    assert due >= received + timedelta(days=42) and due.weekday() < 5
    assert item["board"] == CARDIFF_AND_VALE and item["case_id"] == case_id

    async with httpx.AsyncClient(base_url=liaison_url, timeout=30) as http:
        detail = (await http.get(f"/api/v1/health-requests/{request_id}", headers=declo)).json()
        # The learner, fetched from the referral service with this service's own token.
        assert detail["learner"]["nhs_number"] == "9434765919"
        # The reason for referral, likewise fetched by claim-check: it never travels on Kafka.
        assert detail["reason_for_referral"] == "Speech"
        answered = await http.post(
            f"/api/v1/health-requests/{request_id}/response",
            json={"outcome": "service-identified", "service": "SLT", "welsh_delivery": True},
            headers=declo,
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["clock_state"] == "met", "the answer meets reg 11's 6 weeks"
        answered_on = answered.json()["answered_on"]

    async def timeline() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=referral_url, timeout=30) as http:
            case = (await http.get(f"/api/v1/cases/{case_id}", headers=officer)).json()
        entries: list[dict[str, Any]] = case.get("timeline", [])
        return entries

    def health_clock_met(entries: list[dict[str, Any]]) -> bool:
        return any(
            e["kind"] == "ClockMet" and e["detail"].startswith("health-response") for e in entries
        )

    assert health_clock_met(await eventually(timeline, health_clock_met, within=60))

    # Each agency sees the others' answers (docs/rules.md s.20 answers): the LA's case view has
    # the board's answer from its event, and the board's view stays met once the journey's
    # ClockMet for it has come back (it said running again before)
    async def answers() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=referral_url, timeout=30) as http:
            case = (await http.get(f"/api/v1/cases/{case_id}", headers=officer)).json()
        found: list[dict[str, Any]] = case["health_answers"]
        return found

    assert await eventually(answers, bool, within=60) == [
        {
            "request_id": request_id,
            "service_identified": True,
            "welsh_delivery": True,
            "answered_on": answered_on,
        }
    ]
    async with httpx.AsyncClient(base_url=liaison_url, timeout=30) as http:
        view = (await http.get(f"/api/v1/health-requests/{request_id}", headers=officer)).json()
    assert (view["clock_state"], view["answered_on"]) == ("met", answered_on)


@pytest.fixture(scope="module")
def liaison(stack: Stack, infra: Endpoints) -> Iterator[str]:
    """The health-liaison service as its own process: the stack's, when another test already
    started every component, otherwise one of our own for this module."""
    if "health-liaison" in stack.live_processes():
        yield stack.url_of("health-liaison")
        return
    port = _free_port()
    env = {**stack.component_env("health-liaison"), "LLWYBR_HTTP_PORT": str(port)}
    log = (stack.logs / "health-liaison-system-test.log").open("ab")
    child = subprocess.Popen(
        [sys.executable, "-m", "health_liaison"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import asyncio

        async def ready() -> None:
            for _ in range(300):
                if child.poll() is not None:
                    raise RuntimeError(f"health-liaison exited; see {log.name}")
                if await probe_http(url) == "ok":
                    return
                await asyncio.sleep(0.1)
            raise TimeoutError("health-liaison did not answer /healthz")

        asyncio.run(ready())
        yield url
    finally:
        child.terminate()
        child.wait(15)
        log.close()


@pytest_asyncio.fixture(loop_scope="session")
async def producer(infra: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


def journey_signer(stack: Stack) -> EventSigner:
    """The key the stack's worker signs the journey's events with."""
    return load_signer(
        Path(event_keys_env(stack.home, "worker")["LLWYBR_EVENT_SIGNING_KEY"]), "worker"
    )


def bearer(stack: Stack, role: str, scope: str) -> dict[str, str]:
    token = mint_token(
        Settings(home=stack.home), subject=f"test-{role}", roles=[role], scopes=[scope]
    )
    return {"Authorization": f"Bearer {token}"}


async def inbox(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.get("/api/v1/health-requests", headers=headers, params={"limit": 200})
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_cardiff_request_reaches_its_board_only_and_a_fhir_answer_is_published(
    stack: Stack, infra: Endpoints, liaison: str, producer: AIOKafkaProducer
) -> None:
    request_id, case_id = f"hr-{uuid.uuid4().hex[:12]}", f"case-{uuid.uuid4().hex[:12]}"
    event = HealthInputRequested(
        case_id=case_id, request_id=request_id, authority=CARDIFF, start=date(2026, 11, 16)
    )
    envelope = wrap(
        event, event_id=f"{request_id}-requested", source="/llwybr/test", subject=case_id
    )
    await producer.send_and_wait(
        topics.JOURNEY,
        # Signed with the stack's worker key: the journey's events leave through its relay.
        json.dumps(journey_signer(stack).sign(envelope.model_dump(mode="json"))).encode(),
        key=case_id.encode(),
    )

    declo = bearer(stack, "declo", f"board:{CARDIFF_AND_VALE}")

    async def mine() -> list[dict[str, Any]]:
        return [i for i in await inbox(liaison, declo) if i["request_id"] == request_id]

    [item] = await eventually(mine, bool, within=30)
    assert item["board"] == CARDIFF_AND_VALE and item["status"] == "open"
    assert item["received_on"] == "2026-11-16"
    # 16 Nov + 42 days = Mon 28 Dec 2026, the Boxing Day substitute bank holiday: Tue 29 Dec.
    assert item["due"] == "2026-12-29"
    for board in OTHER_BOARDS:
        others = await inbox(liaison, bearer(stack, "health-liaison", f"board:{board}"))
        assert request_id not in {i["request_id"] for i in others}, board

    # The board's own system pulls the request over FHIR and answers by updating the Task.
    async with httpx.AsyncClient(base_url=liaison, timeout=10) as http:
        metadata = await http.get("/fhir/R4/metadata")
        assert metadata.json()["resourceType"] == "CapabilityStatement"
        referral = (await http.get(f"/fhir/R4/ServiceRequest/{request_id}", headers=declo)).json()
        assert referral["authoredOn"] == "2026-11-16"
        task = (await http.get(f"/fhir/R4/Task/{request_id}", headers=declo)).json()
        assert task["restriction"]["period"]["end"] == "2026-12-29"
        task["status"] = "completed"
        task["output"] = [
            {
                "type": {"coding": [{"system": fr.OUTPUT, "code": "outcome"}]},
                "valueCodeableConcept": {"coding": [{"system": fr.OUTCOME, "code": "no-service"}]},
            }
        ]
        task["note"] = [{"text": "No NHS service fits; school SLT advice."}]
        answered = await http.put(f"/fhir/R4/Task/{request_id}", json=task, headers=declo)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "completed"

    consumer = AIOKafkaConsumer(
        topics.HEALTH,
        bootstrap_servers=infra.kafka,
        group_id=None,  # no group to join: read every partition from the start
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        found: dict[str, Any] | None = None
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    body = json.loads(record.value)
                    if body["data"].get("request_id") == request_id:
                        found = body
            if found:
                break
    finally:
        await consumer.stop()
    assert found is not None, "HealthInputReceived did not reach aln.health.v1"
    assert found["type"] == "wales.aln.health.health-input-received.v1"
    assert found["data"]["outcome"] == "no-service" and "notes" not in found["data"]
