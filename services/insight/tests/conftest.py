"""Service-tier fixtures: insight on real PostgreSQL (a fresh schema per test module or test,
from the `infra` fixture) with FastStream's TestKafkaBroker in place of Kafka."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel.ext.asyncio.session import AsyncSession

import insight
from insight.consumers import consumers
from insight.http import ROUTERS
from llwybr.stack import Endpoints
from llwybr_common.auth import mint_token
from llwybr_common.db import make_engine, session_scope
from llwybr_common.event_signing import PRODUCERS
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import Event
from tests.integration.signing import Keys

KEYS = Keys(*{p for ps in PRODUCERS.values() for p in ps})
MIGRATIONS = Path(insight.__file__).parent / "migrations"


@dataclass
class Desk:
    """The running service under test, with a hand on its broker and its HTTP API."""

    rt: Runtime
    broker: Any
    http: httpx.AsyncClient
    app: Any
    dead: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    clock: list[datetime] = field(default_factory=list)

    async def publish(
        self,
        event: Event,
        *,
        case_id: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> str:
        event_id = event_id or uuid.uuid4().hex
        subject = case_id or getattr(event, "case_id", None) or getattr(event, "authority", "")
        # Each event a moment after the last, as the producers write them.
        if time is None:
            time = datetime.now(UTC)
            if self.clock and time <= self.clock[-1]:
                time = self.clock[-1] + timedelta(milliseconds=1)
        self.clock.append(time)
        envelope = wrap(event, event_id=event_id, source="/llwybr/test", subject=subject, time=time)
        await self.broker.publish(
            KEYS.signed(envelope, by=min(PRODUCERS[event.topic])),
            topic=event.topic,
            key=subject.encode(),
        )
        return event_id

    async def publish_raw(self, raw: bytes, topic: str) -> None:
        await self.broker.publish(raw, topic=topic, key=b"x")

    def token(self, roles: list[str], scopes: list[str], subject: str = "tester") -> dict[str, str]:
        jwt = mint_token(self.rt.settings, subject=subject, roles=roles, scopes=scopes)
        return {"Authorization": f"Bearer {jwt}"}

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with session_scope(self.rt.engine) as s:
            yield s

    def set_today(self, on: Callable[[], date] | date) -> None:
        self.app.state.today = on if callable(on) else (lambda: on)


@asynccontextmanager
async def open_desk(infra: Endpoints, home: Path) -> AsyncIterator[Desk]:
    settings = Settings(
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka,
        home=home,
        span_file=str(home / "spans.jsonl"),
    )
    schema = f"in_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = KafkaBroker(settings.kafka_bootstrap)
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime("insight", settings, engine, broker, relay, TracerProvider())
    rt.consumers = consumers(rt)
    for consumer in rt.consumers:
        consumer.verify_with(KEYS.verifier)
        consumer.attach(broker)
    dead: list[tuple[str, dict[str, str]]] = []

    for topic in topics.TOPICS:

        @broker.subscriber(topics.dlq(topic), group_id=f"test-dlq-{topic}")
        async def sink(msg: KafkaMessage) -> None:
            headers = {
                k: (v.decode() if isinstance(v, bytes) else v) for k, v in msg.headers.items()
            }
            dead.append(
                (json.loads(msg.body).get("id", "?") if msg.body.startswith(b"{") else "?", headers)
            )

    app = build_app("insight", migrations=MIGRATIONS, routers=ROUTERS, settings=settings)
    app.state.runtime = rt
    try:
        async with TestKafkaBroker(broker) as test_broker:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://insight"
            ) as http:
                yield Desk(rt, test_broker, http, app, dead)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
