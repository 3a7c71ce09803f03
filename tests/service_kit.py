"""What every service's in-process test desk is made of, written once: settings on the session's
real infrastructure, a fresh migrated schema, signed events in, tokens, the outbox relayed to
FastStream's TestKafkaBroker, and the events the service published.

A service's `tests/conftest.py` adds only what is its own: its role shortcuts, stubs of the
services it claim-checks, and the records its tests start from."""

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import APIRouter
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from llwybr.stack import Endpoints
from llwybr_common.auth import mint_token
from llwybr_common.db import make_engine, session_scope
from llwybr_common.event_signing import PRODUCERS
from llwybr_common.kafka import IdempotentConsumer
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxMessage, OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_common.settings import Settings
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import Event
from tests.integration.signing import Keys

# Each event is signed by its topic's producer, as on the running stack.
KEYS = Keys(*{p for ps in PRODUCERS.values() for p in ps})


def desk_settings(infra: Endpoints, home: Path, **more: Any) -> Settings:
    return Settings(
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka,
        home=home,
        span_file=str(home / "spans.jsonl"),
        **more,
    )


async def fresh_schema(
    settings: Settings, prefix: str, migrations: Path
) -> tuple[AsyncEngine, str]:
    """An engine on a new schema `<prefix>_<random>`, migrated to head, and the schema."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, migrations, schema)
    return engine, schema


def bearer(settings: Settings, roles: list[str], scopes: list[str], subject: str) -> dict[str, str]:
    jwt = mint_token(settings, subject=subject, roles=roles, scopes=scopes)
    return {"Authorization": f"Bearer {jwt}"}


@dataclass
class Desk:
    """A service running in this process on a fresh schema, its consumers on FastStream's
    TestKafkaBroker: events go in signed, the outbox goes out when `relay` is called."""

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
        return bearer(self.rt.settings, roles, scopes, subject)

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


D = TypeVar("D", bound=Desk)


@asynccontextmanager
async def open_kafka_desk(
    infra: Endpoints,
    home: Path,
    *,
    service: str,
    schema_prefix: str,
    migrations: Path,
    routers: Sequence[APIRouter],
    consumers: Callable[[Runtime], list[IdempotentConsumer]],
    publishes_to: str,
    today: date | None = None,
    desk: type[D] = Desk,  # type: ignore[assignment]
) -> AsyncIterator[D]:
    """`service` on a fresh schema under `home`, its consumers on the test broker and its own
    topic `publishes_to` collected in `Desk.published`; a module may keep one for all its
    tests."""
    settings = desk_settings(infra, home)
    engine, schema = await fresh_schema(settings, schema_prefix, migrations)
    broker = KafkaBroker(settings.kafka_bootstrap)
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime(service, settings, engine, broker, relay, TracerProvider())
    for consumer in consumers(rt):
        consumer.verify_with(KEYS.verifier)
        consumer.attach(broker)
    published: list[dict[str, Any]] = []

    @broker.subscriber(publishes_to, group_id="test-sink")
    async def sink(msg: KafkaMessage) -> None:
        published.append(json.loads(msg.body))

    app = build_app(service, migrations=migrations, routers=routers, settings=settings)
    app.state.runtime = rt
    if today is not None:
        app.state.today = lambda: today
    try:
        async with TestKafkaBroker(broker) as test_broker:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{service}"
            ) as http:
                yield desk(rt, test_broker, http, app, published)
    finally:
        await engine.dispose()
