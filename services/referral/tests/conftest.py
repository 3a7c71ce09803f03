"""Service-tier fixtures: the referral service in process on real PostgreSQL (a fresh schema
per test, from the `infra` fixture), with a fake journey in place of Temporal, so intake and
commands are tested without the whole stack."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import httpx
import pytest_asyncio
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel
from sqlmodel import select

import referral
from llwybr.stack import Endpoints
from llwybr_clock.rules import Basis, rule_for
from llwybr_common.audit import AuditRecord
from llwybr_common.auth import mint_token
from llwybr_common.db import session_scope
from llwybr_common.errors import DomainError
from llwybr_common.outbox import OutboxMessage, OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_contracts.journey import ClockView, CommandAccepted, JourneyInput, JourneyStatus
from llwybr_contracts.states import CaseState
from referral.api import router
from referral.models import Case
from tests.service_kit import desk_settings, fresh_schema

MIGRATIONS = Path(referral.__file__).parent / "migrations"
CARDIFF, SWANSEA = "W06000015", "W06000011"
TODAY = date(2026, 11, 27)


@dataclass
class FakeJourney:
    """Records what the service asks of the journey and answers as told."""

    started: list[JourneyInput] = field(default_factory=list)
    commands: list[tuple[str, str, BaseModel]] = field(default_factory=list)
    due: date | None = date(2027, 1, 22)
    refuse_with: DomainError | None = None
    state: CaseState = CaseState.DECISION_PENDING

    async def start(self, journey: JourneyInput) -> bool:
        self.started.append(journey)
        return True

    async def send_command(
        self, *, case_id: str, update: str, payload: BaseModel
    ) -> CommandAccepted:
        if self.refuse_with is not None:
            raise self.refuse_with
        self.commands.append((case_id, update, payload))
        return CommandAccepted(state=self.state)

    async def status(self, case_id: str) -> JourneyStatus | None:
        started = next((j for j in self.started if j.case_id == case_id), None)
        if started is None or started.first_rule is None:
            return None
        clock = ClockView(
            rule=started.first_rule,
            start=started.clock_start or started.received_on,
            due=self.due,
            status="running",
            # as the real clock says: true unless the rule is law with no assumed convention
            assumed=rule_for(started.first_rule).basis is not Basis.LAW,
        )
        return JourneyStatus(case_id=case_id, state=started.state, clocks=[clock])


@dataclass
class SpyRelay:
    woken: int = 0

    def wake(self) -> None:
        self.woken += 1


@dataclass
class Desk:
    """The referral service under test: its HTTP API, its journey and its relay."""

    rt: Runtime
    http: httpx.AsyncClient
    journey: FakeJourney
    relay: SpyRelay
    app: FastAPI

    def token(self, role: str, *scopes: str, lang: str | None = None) -> dict[str, str]:
        jwt = mint_token(self.rt.settings, subject=f"test-{role}", roles=[role], scopes=[*scopes])
        headers = {"Authorization": f"Bearer {jwt}"}
        if lang:
            headers["Accept-Language"] = lang
        return headers

    def officer(self, authority: str = CARDIFF, lang: str | None = None) -> dict[str, str]:
        return self.token("la-officer", f"la:{authority}", lang=lang)

    async def rows(self, model: Any, **where: Any) -> list[Any]:
        async with session_scope(self.rt.engine) as session:
            query = select(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return list((await session.exec(query)).all())

    async def cases(self) -> list[Case]:
        return await self.rows(Case)

    async def events(self, case_id: str) -> list[str]:
        return [r.event_type for r in await self.rows(OutboxMessage, key=case_id)]

    async def audit(self, case_id: str) -> list[tuple[str, str]]:
        return [(r.action, r.outcome) for r in await self.rows(AuditRecord, case_id=case_id)]


@asynccontextmanager
async def open_desk(
    infra: Endpoints, home: Path, routers: Sequence[APIRouter] = (router,)
) -> AsyncIterator[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    settings = desk_settings(infra, home)
    engine, _ = await fresh_schema(settings, "ref", MIGRATIONS)
    broker = KafkaBroker(settings.kafka_bootstrap)  # never started: the outbox is read instead
    relay = SpyRelay()
    rt = Runtime("referral", settings, engine, broker, cast(OutboxRelay, relay), TracerProvider())
    journey = FakeJourney()
    app = build_app("referral", migrations=MIGRATIONS, routers=routers, settings=settings)
    app.state.runtime = rt
    app.state.journey = journey
    app.state.today = lambda: TODAY
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://referral"
        ) as http:
            yield Desk(rt, http, journey, relay, app)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
