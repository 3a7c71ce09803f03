"""The notifications consumer with FastStream's TestKafkaBroker (no broker) and real
PostgreSQL: a journey event becomes one bilingual in-app notification, however often it comes."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from faststream.kafka import KafkaMessage, TestKafkaBroker

import notifications
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.kafka import DLQ_ERROR, make_broker
from llwybr_common.migrations import migrate
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import JourneyStarted
from llwybr_contracts.states import CaseState
from notifications.consumers import consumers
from notifications.service import list_for_case
from tests.integration.signing import Keys

pytestmark = pytest.mark.service

MIGRATIONS = Path(notifications.__file__).parent / "migrations"


async def test_journey_started_becomes_one_notification_and_junk_is_dead_lettered(
    infra: Endpoints, unique: str
) -> None:
    schema = f"n_{unique}"
    engine = make_engine(infra.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = make_broker("localhost:9092")
    rt = SimpleNamespace(engine=engine, broker=broker, settings=Settings())
    keys = Keys("worker")
    for consumer in consumers(rt):  # type: ignore[arg-type]
        consumer.verify_with(keys.verifier)
        consumer.attach(broker)
    dead: list[dict[str, str]] = []

    @broker.subscriber(topics.dlq(topics.JOURNEY))
    async def dlq(msg: KafkaMessage) -> None:
        dead.append(dict(msg.headers))

    event = JourneyStarted(
        case_id=unique,
        workflow_id=f"case-{unique}",
        state=CaseState.DECISION_PENDING,
        authority="W06000015",
    )
    envelope = wrap(event, event_id=f"e-{unique}", source="/llwybr/worker", subject=unique)
    async with TestKafkaBroker(broker) as test_broker:
        for _ in range(2):  # a redelivery
            await test_broker.publish(
                keys.signed(envelope, by="worker"), topics.JOURNEY, key=unique.encode()
            )
        await test_broker.publish(b"\x00 not an event", topics.JOURNEY, key=unique.encode())

    async with session_scope(engine) as session:
        notes = await list_for_case(session, case_id=unique)
    assert len(notes) == 1
    assert (notes[0].recipient_role, notes[0].recipient_scope) == ("la-officer", "la:W06000015")
    assert "Mae achos" in notes[0].text_cy and "is open" in notes[0].text_en
    assert len(dead) == 1 and "invalid CloudEvent envelope" in dead[0][DLQ_ERROR]
    await engine.dispose()
