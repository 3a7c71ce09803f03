"""A consumer whose dependency is down waits for it instead of dead-lettering: the real broker,
PostgreSQL, and a Temporal server of the test's own that it stops and starts again."""

import tempfile
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from llwybr.dead_letters import read_dead_letters
from llwybr.stack import Endpoints
from llwybr_common.journey import start_journey
from llwybr_common.kafka import IdempotentConsumer, make_broker
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_contracts.topics import dlq
from tests.integration.helpers import create_topics, eventually, fresh_schema, opened
from tests.integration.signing import Keys
from tests.integration.temporal_server import TemporalServer

pytestmark = pytest.mark.integration


async def journey_exists(client: Client, case_id: str) -> bool:
    try:
        await client.get_workflow_handle(journey_workflow_id(case_id)).describe()
    except Exception:
        return False
    return True


async def test_temporal_outage_delays_journeys_without_dead_letters(
    infra: Endpoints, unique: str
) -> None:
    schema, topic = f"t_{unique}", f"aln.test{unique}.v1"
    await create_topics(infra.kafka, topic, dlq(topic), partitions=1)
    engine = await fresh_schema(infra.database_url, schema)
    temporal = TemporalServer(Path(tempfile.mkdtemp(prefix="llwybr-outage-")))
    temporal.start()
    client = await temporal.client()

    async def on_case_opened(
        session: AsyncSession, envelope: CloudEvent, event: CaseOpened
    ) -> None:
        await start_journey(
            client,
            JourneyInput(
                case_id=event.case_id,
                child_ref=event.child_ref,
                authority=event.authority,
                received_on=event.received_on,
                state=event.state,
            ),
        )

    broker = make_broker(infra.kafka)
    keys = Keys("referral", producers={topic: frozenset({"referral"})})
    consumer = IdempotentConsumer(
        topic=topic,
        group_id=f"g-{unique}",
        engine=engine,
        broker=broker,
        handlers={CaseOpened: on_case_opened},
        max_attempts=2,  # an outage must not spend it at all
        retry_backoff_seconds=0.05,
        outage_backoff_seconds=0.2,
        outage_backoff_cap_seconds=2.0,
        verifier=keys.verifier,
    )
    consumer.attach(broker)
    await broker.start()
    cases = [f"{unique}-{i}" for i in range(3)]
    try:
        temporal.stop()
        for case_id in cases:
            ce = wrap(opened(case_id), event_id=f"e-{case_id}", source="/t", subject=case_id)
            await broker.publish(keys.signed(ce, by="referral"), topic, key=case_id.encode())

        async def blocked() -> str:
            return consumer.readiness()

        state = await eventually(blocked, lambda s: s != "ok", within=30)
        assert state.startswith("waiting for temporal since "), state

        # Tried more often than the poison budget allows, and still waiting, not dead-lettered.
        async def retries() -> int:
            return consumer.outage_retries

        await eventually(retries, lambda n: n > 2, within=60, every=0.5)
        assert consumer.readiness() != "ok", "still waiting while Temporal is down"

        temporal.start()
        client_after = await temporal.client()

        async def started() -> list[bool]:
            return [await journey_exists(client_after, c) for c in cases]

        assert all(await eventually(started, all, within=60, every=0.5))
        assert consumer.readiness() == "ok"
        assert await read_dead_letters(infra.kafka, topic) == [], "nothing was dead-lettered"
    finally:
        await broker.stop()
        await engine.dispose()
        temporal.stop()
