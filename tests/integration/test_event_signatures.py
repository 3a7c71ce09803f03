"""Consumers trust only events their producer signed, on the real broker and PostgreSQL:
unsigned, wrongly signed, altered and wrong-producer events go to `<topic>.dlq` with the reason,
and the consumer keeps going; what the relay publishes verifies, after a replay too."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaMessage
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr.stack import Endpoints
from llwybr_common.db import session_scope
from llwybr_common.kafka import DLQ_ATTEMPTS, DLQ_ERROR, IdempotentConsumer, make_broker
from llwybr_common.outbox import OutboxRelay, add_event, mark_for_replay
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.topics import dlq
from tests.integration.helpers import create_topics, eventually, fresh_schema, opened
from tests.integration.signing import Keys

pytestmark = pytest.mark.integration


async def _copy(items: list[Any]) -> list[Any]:
    return list(items)


async def test_only_events_signed_by_their_producer_take_effect(
    infra: Endpoints, unique: str
) -> None:
    schema, topic = f"t_{unique}", f"aln.test{unique}.v1"
    await create_topics(infra.kafka, topic, dlq(topic), partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    async with session_scope(engine) as session:
        await session.execute(text("CREATE TABLE effects (case_id text)"))
    keys = Keys("referral", "health-liaison", producers={topic: frozenset({"referral"})})
    impostor = Keys("referral")  # a key pair with the right name that nobody gave out

    async def handler(session: AsyncSession, envelope: CloudEvent, event: CaseOpened) -> None:
        await session.execute(text("INSERT INTO effects VALUES (:c)"), {"c": event.case_id})

    broker = make_broker(infra.kafka)
    IdempotentConsumer(
        topic=topic,
        group_id=f"g-{unique}",
        engine=engine,
        broker=broker,
        handlers={CaseOpened: handler},
        verifier=keys.verifier,
    ).attach(broker)
    dead: list[tuple[str, dict[str, str]]] = []

    @broker.subscriber(dlq(topic), auto_offset_reset="earliest")
    async def dead_letters(msg: KafkaMessage) -> None:
        dead.append((json.loads(msg.body)["subject"], dict(msg.headers)))

    def envelope(case_id: str) -> CloudEvent:
        return wrap(opened(case_id), event_id=f"e-{case_id}", source="/t", subject=case_id)

    altered = json.loads(keys.signed(envelope("altered"), by="referral"))
    altered["data"]["authority"] = "W06000011"
    await broker.start()
    try:
        for value in (
            envelope("unsigned").model_dump_json().encode(),
            impostor.signed(envelope("impostor"), by="referral"),
            json.dumps(altered).encode(),
            keys.signed(envelope("wrong-producer"), by="health-liaison"),
            keys.signed(envelope("genuine"), by="referral"),
        ):
            await broker.publish(value, topic, key=b"k")

        async def effects() -> list[str]:
            async with session_scope(engine) as session:
                return [r[0] for r in await session.execute(text("SELECT case_id FROM effects"))]

        assert await eventually(effects, bool, within=60) == ["genuine"]
        got = await eventually(lambda: _copy(dead), lambda d: len(d) >= 4, within=30)
        reasons = {subject: headers[DLQ_ERROR] for subject, headers in got}
        assert reasons == {
            "unsigned": "SignatureError: unsigned event: no llwybrsig attribute",
            "impostor": "SignatureError: signature by 'referral' does not match the event "
            "(altered, or another key)",
            "altered": "SignatureError: signature by 'referral' does not match the event "
            "(altered, or another key)",
            "wrong-producer": f"SignatureError: 'health-liaison' does not publish to {topic}",
        }
        assert all(headers[DLQ_ATTEMPTS] == "1" for _, headers in got)
        assert await effects() == ["genuine"]
    finally:
        await broker.stop()
        await engine.dispose()


async def test_the_relay_signs_what_it_sends_and_a_replay_still_verifies(
    infra: Endpoints, unique: str
) -> None:
    schema, topic = f"t_{unique}", f"aln.test{unique}.v1"
    await create_topics(infra.kafka, topic, partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    keys = Keys("referral", producers={topic: frozenset({"referral"})})
    broker = make_broker(infra.kafka)
    received: list[dict[str, Any]] = []

    @broker.subscriber(topic, auto_offset_reset="earliest")
    async def sink(msg: KafkaMessage) -> None:
        received.append(json.loads(msg.body))

    relay = OutboxRelay(
        lambda: session_scope(engine), broker, schema=schema, signer=keys.signers["referral"]
    )
    await broker.start()
    try:
        async with session_scope(engine) as session:
            row = add_event(
                session, opened("c1"), event_id=f"{unique}-1", source="/t", subject="c1"
            )
            row.topic = topic
        assert await relay.drain_once() == 1
        async with session_scope(engine) as session:
            assert await mark_for_replay(session, datetime(2000, 1, 1, tzinfo=UTC)) == 1
        assert await relay.drain_once() == 1
        sent = await eventually(lambda: _copy(received), lambda r: len(r) >= 2)
        assert [keys.verifier.verify(e, topic) for e in sent] == ["referral", "referral"]
    finally:
        await broker.stop()
        await engine.dispose()
