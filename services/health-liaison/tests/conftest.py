"""Service-tier fixtures: the health-liaison service on real PostgreSQL (a fresh schema per
test, from the `infra` fixture) with FastStream's TestKafkaBroker in place of Kafka."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import health_liaison
from health_liaison.consumers import consumers
from health_liaison.http import ROUTERS
from llwybr.stack import Endpoints
from llwybr_common.auth import mint_token
from llwybr_common.db import make_engine, session_scope
from llwybr_common.event_signing import PRODUCERS
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxMessage, OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import Event
from tests.integration.signing import Keys

# Each event is signed by its topic's producer, as on the running stack.
KEYS = Keys(*{p for ps in PRODUCERS.values() for p in ps})

MIGRATIONS = Path(health_liaison.__file__).parent / "migrations"
CARDIFF, CARDIFF_AND_VALE = "W06000015", "W11000029"
SWANSEA, SWANSEA_BAY = "W06000011", "W11000031"


@dataclass
class Desk:
    """The running service under test, with a hand on its broker and its HTTP API."""

    rt: Runtime
    broker: Any
    http: httpx.AsyncClient
    app: Any
    published: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, event: Event, *, case_id: str, event_id: str | None = None) -> None:
        envelope = wrap(
            event, event_id=event_id or uuid.uuid4().hex, source="/llwybr/test", subject=case_id
        )
        await self.broker.publish(
            KEYS.signed(envelope, by=min(PRODUCERS[event.topic])),
            topic=event.topic,
            key=case_id.encode(),
        )

    def token(self, roles: list[str], scopes: list[str], subject: str = "tester") -> dict[str, str]:
        jwt = mint_token(self.rt.settings, subject=subject, roles=roles, scopes=scopes)
        return {"Authorization": f"Bearer {jwt}"}

    def declo(self, board: str = CARDIFF_AND_VALE) -> dict[str, str]:
        return self.token(["declo"], [f"board:{board}"], subject=f"declo-{board}")

    def la_officer(self, authority: str = CARDIFF) -> dict[str, str]:
        return self.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")

    async def session(self) -> AsyncIterator[AsyncSession]:
        async with session_scope(self.rt.engine) as s:
            yield s

    async def relay(self) -> int:
        """Publish the unsent outbox rows to the test broker, as the relay would (the relay
        itself waits on broker confirmations, which TestKafkaBroker does not give)."""
        async with session_scope(self.rt.engine) as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.sent_at).is_(None))
                    .order_by(col(OutboxMessage.seq))
                )
            ).all()
            for row in rows:
                await self.broker.publish(row.envelope, topic=row.topic, key=row.key.encode())
                row.sent_at = datetime.now(UTC)
                session.add(row)
        return len(rows)

    def set_today(self, on: Callable[[], date] | date) -> None:
        self.app.state.today = on if callable(on) else (lambda: on)


@asynccontextmanager
async def open_desk(infra: Endpoints, home: Path) -> AsyncIterator[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    settings = Settings(
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka,
        home=home,
        span_file=str(home / "spans.jsonl"),
    )
    schema = f"hl_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = KafkaBroker(settings.kafka_bootstrap)
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime("health-liaison", settings, engine, broker, relay, TracerProvider())
    for consumer in consumers(rt):
        consumer.verify_with(KEYS.verifier)
        consumer.attach(broker)
    published: list[dict[str, Any]] = []

    @broker.subscriber(topics.HEALTH, group_id="test-sink")
    async def sink(msg: KafkaMessage) -> None:
        import json

        published.append(json.loads(msg.body))

    app = build_app("health-liaison", migrations=MIGRATIONS, routers=ROUTERS, settings=settings)
    app.state.runtime = rt
    try:
        async with TestKafkaBroker(broker) as test_broker:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://health-liaison"
            ) as http:
                yield Desk(rt, test_broker, http, app, published)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
