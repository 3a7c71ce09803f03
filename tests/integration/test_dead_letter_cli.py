"""`llwybr dlq list|show|redrive` on the real broker: a message a consumer gave up on is listed
with its headers, shown by offset, and once the cause is fixed a re-drive gets it handled,
once, however often it is re-driven."""

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr import cli
from llwybr.stack import Endpoints
from llwybr_common.db import session_scope
from llwybr_common.kafka import IdempotentConsumer, make_broker
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.states import CaseState
from llwybr_contracts.topics import dlq
from tests.integration.helpers import create_topics, eventually, fresh_schema
from tests.integration.signing import Keys

pytestmark = pytest.mark.integration


async def llwybr(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def json_of(out: str) -> dict[str, Any]:
    """The command's JSON document among the broker's log lines on the same stdout."""
    lines = out.splitlines()
    start = lines.index("{")
    doc: dict[str, Any] = json.loads("\n".join(lines[start : lines.index("}", start) + 1]))
    return doc


async def test_dead_letters_are_listed_shown_and_redriven_once(
    infra: Endpoints,
    unique: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLWYBR_KAFKA_BOOTSTRAP", infra.kafka)
    schema, topic, group = f"t_{unique}", f"aln.test{unique}.v1", f"g-{unique}"
    await create_topics(infra.kafka, topic, dlq(topic), partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    async with session_scope(engine) as session:
        await session.execute(text("CREATE TABLE effects (case_id text)"))
    fixed = False

    async def handler(session: AsyncSession, envelope: CloudEvent, event: CaseOpened) -> None:
        if not fixed:
            raise ValueError("no route for this authority yet")
        await session.execute(text("INSERT INTO effects VALUES (:c)"), {"c": event.case_id})

    broker = make_broker(infra.kafka)
    keys = Keys("referral", producers={topic: frozenset({"referral"})})
    IdempotentConsumer(
        topic=topic,
        group_id=group,
        engine=engine,
        broker=broker,
        handlers={CaseOpened: handler},
        max_attempts=2,
        retry_backoff_seconds=0.05,
        verifier=keys.verifier,
    ).attach(broker)
    event = CaseOpened(
        case_id=f"c-{unique}",
        child_ref="ch-1",
        authority="W06000015",
        received_on=date(2026, 11, 16),
        state=CaseState.DECISION_PENDING,
    )
    raw = wrap(event, event_id=f"e-{unique}", source="/t", subject=event.case_id)
    await broker.start()
    try:
        await broker.publish(b"{not json", topic, key=b"k")
        # Signed: a re-drive sends the same bytes, so the signature must still hold.
        await broker.publish(keys.signed(raw, by="referral"), topic, key=event.case_id.encode())

        async def listed() -> dict[str, Any]:
            code, out = await llwybr(capsys, "dlq", "list", topic, "--json")
            assert code == 0, out
            return json_of(out)

        doc = await eventually(listed, lambda d: d["count"] == 2, within=60, every=1)
        assert doc["topic"] == dlq(topic) and doc["count"] == 2
        unreadable, poison = doc["items"]
        assert unreadable["consumer_group"] == group and unreadable["attempts"] == "1"
        assert "invalid CloudEvent envelope" in unreadable["error"]
        assert poison["event_id"] == f"e-{unique}" and poison["attempts"] == "2"
        assert poison["error"] == "ValueError: no route for this authority yet"

        code, out = await llwybr(capsys, "dlq", "list", dlq(topic))
        assert code == 0 and f"{dlq(topic)}: 2 dead letters" in out

        code, out = await llwybr(capsys, "dlq", "show", topic, str(poison["offset"]))
        shown = json_of(out)
        assert shown["envelope"]["id"] == f"e-{unique}"
        assert shown["headers"]["x-llwybr-original-topic"] == topic
        code, out = await llwybr(capsys, "dlq", "show", topic, "99")
        assert code == 1 and "no dead letter at offset 99" in out

        fixed = True
        for _ in range(2):  # a second re-drive is harmless: the inbox has the event id
            code, out = await llwybr(
                capsys, "dlq", "redrive", topic, "--offset", str(poison["offset"])
            )
            assert code == 0 and f"re-drove 1 dead letters to {topic}" in out

        async def effects() -> list[str]:
            async with session_scope(engine) as session:
                return [r[0] for r in await session.execute(text("SELECT case_id FROM effects"))]

        assert await eventually(effects, bool, within=30) == [event.case_id]
        await asyncio.sleep(1.0)  # the second re-drive has been consumed by now
        assert await effects() == [event.case_id]
        doc = await listed()
        assert doc["count"] == 2, "re-driving leaves the dead letters where they were"
    finally:
        await broker.stop()
        await engine.dispose()
