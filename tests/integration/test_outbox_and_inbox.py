"""The outbox relay and the idempotent consumer on real PostgreSQL and the real broker."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaMessage
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr.stack import Endpoints
from llwybr_common.db import session_scope
from llwybr_common.kafka import (
    DLQ_ATTEMPTS,
    DLQ_ERROR,
    DLQ_GROUP,
    IdempotentConsumer,
    make_broker,
)
from llwybr_common.outbox import OutboxRelay, add_event, mark_for_replay
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import CaseOpened, CaseOpenedV2
from llwybr_contracts.topics import dlq
from tests.integration.helpers import create_topics, eventually, fresh_schema, opened
from tests.integration.signing import Keys

pytestmark = pytest.mark.integration


async def test_relay_publishes_in_order_marks_sent_and_replays(
    infra: Endpoints, unique: str
) -> None:
    schema, topic = f"t_{unique}", f"aln.test{unique}.v1"
    await create_topics(infra.kafka, topic, partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    broker = make_broker(infra.kafka)
    received: list[tuple[str, dict[str, str]]] = []

    @broker.subscriber(topic, auto_offset_reset="earliest")
    async def sink(msg: KafkaMessage) -> None:
        received.append((json.loads(msg.body)["id"], dict(msg.headers)))

    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    await broker.start()
    try:
        async with session_scope(engine) as session:
            for i in range(5):
                row = add_event(
                    session,
                    opened(f"c{i}"),
                    event_id=f"{unique}-{i}",
                    source="/t",
                    subject="case-1",
                )
                row.topic = topic  # route the test's events to the test's own topic
        assert await relay.drain_once() == 5
        assert await relay.drain_once() == 0, "sent rows are not sent again"
        got = await eventually(lambda: _copy(received), lambda r: len(r) >= 5)
        assert [eid for eid, _ in got] == [f"{unique}-{i}" for i in range(5)]
        assert all(h["ce_id"] == eid for eid, h in got)

        async with session_scope(engine) as session:
            assert await mark_for_replay(session, datetime(2000, 1, 1, tzinfo=UTC)) == 5
        assert await relay.drain_once() == 5
        got = await eventually(lambda: _copy(received), lambda r: len(r) >= 10)
        assert [eid for eid, _ in got[5:]] == [f"{unique}-{i}" for i in range(5)]
    finally:
        await broker.stop()
        await engine.dispose()


async def _copy(items: list[Any]) -> list[Any]:
    return list(items)


async def test_consumer_dedupes_dead_letters_and_keeps_consuming(
    infra: Endpoints, unique: str
) -> None:
    schema, topic = f"t_{unique}", f"aln.test{unique}.v1"
    await create_topics(infra.kafka, topic, dlq(topic), partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    async with session_scope(engine) as session:
        await session.execute(text("CREATE TABLE effects (case_id text, event_id text)"))

    async def handler(session: AsyncSession, envelope: CloudEvent, event: CaseOpened) -> None:
        if event.case_id == "poison":
            raise RuntimeError("the effect keeps failing")
        await session.execute(
            text("INSERT INTO effects VALUES (:c, :e)"), {"c": event.case_id, "e": envelope.id}
        )

    broker = make_broker(infra.kafka)
    group = f"g-{unique}"
    keys = Keys("referral", producers={topic: frozenset({"referral"})})
    consumer = IdempotentConsumer(
        topic=topic,
        group_id=group,
        engine=engine,
        broker=broker,
        handlers={CaseOpened: handler},
        max_attempts=3,
        retry_backoff_seconds=0.05,
        verifier=keys.verifier,
    )
    consumer.attach(broker)
    dead: list[tuple[bytes, dict[str, str]]] = []

    @broker.subscriber(dlq(topic), auto_offset_reset="earliest")
    async def dead_letters(msg: KafkaMessage) -> None:
        dead.append((msg.body, dict(msg.headers)))

    def envelope(case_id: str, event_id: str) -> bytes:
        event: CaseOpened = opened(case_id)
        if case_id == "b":  # version 2 reaches the handler written for version 1
            codes = {"year_group": "Y3", "language_of_education": "welsh-medium"}
            event = CaseOpenedV2(**event.model_dump(), **codes)
        ce = wrap(event, event_id=event_id, source="/t", subject=case_id)
        return keys.signed(ce, by="referral")

    await broker.start()
    try:
        a = envelope("a", f"{unique}-a")
        for raw in (
            a,
            a,
            b"{not json",
            envelope("poison", f"{unique}-p"),
            envelope("b", f"{unique}-b"),
        ):
            await broker.publish(raw, topic, key=b"k")

        async def effects() -> list[tuple[str, str]]:
            async with session_scope(engine) as session:
                rows = await session.execute(text("SELECT case_id, event_id FROM effects"))
                return [tuple(r) for r in rows]

        rows = await eventually(effects, lambda r: len(r) >= 2, within=60)
        await eventually(lambda: _copy(dead), lambda d: len(d) >= 2, within=30)
        await asyncio.sleep(0.5)  # a late duplicate would show up now
        rows = await effects()
        assert sorted(rows) == [("a", f"{unique}-a"), ("b", f"{unique}-b")], "one effect per event"

        assert len(dead) == 2
        (bad_body, bad_headers), (poison_body, poison_headers) = dead
        assert bad_body == b"{not json"
        assert bad_headers[DLQ_GROUP] == group and bad_headers[DLQ_ATTEMPTS] == "1"
        assert "invalid CloudEvent envelope" in bad_headers[DLQ_ERROR]
        assert json.loads(poison_body)["id"] == f"{unique}-p"
        assert poison_headers[DLQ_ATTEMPTS] == "3"
        assert "the effect keeps failing" in poison_headers[DLQ_ERROR]
    finally:
        await broker.stop()
        await engine.dispose()
