"""Service-tier fixtures: the idp service on real PostgreSQL (a fresh schema per test, from the
`infra` fixture) with FastStream's TestKafkaBroker in place of Kafka, and the case made ready
for a plan by the events referral and the journey publish."""

import json
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

import idp
from idp.consumers import consumers
from idp.http import ROUTERS
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
from llwybr_contracts.events import AlnDecided, CaseOpened, Event
from llwybr_contracts.states import CaseState, DecidingBody
from tests.integration.signing import Keys

KEYS = Keys(*{p for ps in PRODUCERS.values() for p in ps})

MIGRATIONS = Path(idp.__file__).parent / "migrations"
CARDIFF, SWANSEA = "W06000015", "W06000011"
SCHOOL, OTHER_SCHOOL = "6812345", "6899999"
TODAY = date(2026, 11, 27)


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

    def officer(self, authority: str = CARDIFF) -> dict[str, str]:
        return self.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")

    def alnco(self, school: str = SCHOOL) -> dict[str, str]:
        return self.token(["school-alnco"], [f"school:{school}"], subject=f"alnco-{school}")

    async def relay(self) -> int:
        """Publish the unsent outbox rows to the test broker, as the relay would."""
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

    def events(self, name: str) -> list[dict[str, Any]]:
        kebab = {
            "IdpDrafted": "idp-drafted",
            "IdpIssued": "idp-issued",
            "IdpReviewed": "idp-reviewed",
            "IdpTransferred": "idp-transferred",
            "IdpCeased": "idp-ceased",
        }[name]
        return [e for e in self.published if e["type"] == f"wales.aln.idp.{kebab}.v1"]

    def set_today(self, on: Callable[[], date] | date) -> None:
        self.app.state.today = on if callable(on) else (lambda: on)

    async def decided_case(
        self,
        *,
        deciding_body: DecidingBody = DecidingBody.LOCAL_AUTHORITY,
        authority: str = CARDIFF,
        school_ref: str | None = SCHOOL,
        has_aln: bool = True,
    ) -> str:
        """A case as referral opened it and the journey decided it."""
        case_id = f"case-{uuid.uuid4().hex[:12]}"
        await self.publish(
            CaseOpened(
                case_id=case_id,
                child_ref=f"child-{uuid.uuid4().hex[:8]}",
                authority=authority,
                received_on=date(2026, 9, 14),
                state=CaseState.DECISION_PENDING,
                deciding_body=deciding_body,
                deciding_authority=authority
                if deciding_body == DecidingBody.LOCAL_AUTHORITY
                else None,
                school_ref=school_ref,
            ),
            case_id=case_id,
        )
        await self.publish(
            AlnDecided(
                case_id=case_id,
                has_aln=has_aln,
                deciding_body=deciding_body,
                decided_on=date(2026, 11, 2),
            ),
            case_id=case_id,
        )
        return case_id


@asynccontextmanager
async def open_desk(infra: Endpoints, home: Path) -> AsyncIterator[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    settings = Settings(
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka,
        home=home,
        span_file=str(home / "spans.jsonl"),
    )
    schema = f"idp_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = KafkaBroker(settings.kafka_bootstrap)
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime("idp", settings, engine, broker, relay, TracerProvider())
    for consumer in consumers(rt):
        consumer.verify_with(KEYS.verifier)
        consumer.attach(broker)
    published: list[dict[str, Any]] = []

    @broker.subscriber(topics.IDP, group_id="test-sink")
    async def sink(msg: KafkaMessage) -> None:
        published.append(json.loads(msg.body))

    app = build_app("idp", migrations=MIGRATIONS, routers=ROUTERS, settings=settings)
    app.state.runtime = rt
    app.state.today = lambda: TODAY
    try:
        async with TestKafkaBroker(broker) as test_broker:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://idp"
            ) as http:
                yield Desk(rt, test_broker, http, app, published)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
