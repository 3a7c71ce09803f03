"""Service-tier fixtures: the advocacy service in process on real PostgreSQL (a fresh schema per
test, from the `infra` fixture), with a stub of the referral service's case API (claim-check)
and the outbox read directly in place of Kafka."""

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import httpx
import pytest_asyncio
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel import col, select

import advocacy
from advocacy.http import ROUTERS
from advocacy.referral_client import ReferralCases
from llwybr.stack import Endpoints
from llwybr_common.audit import AuditRecord
from llwybr_common.auth import mint_token
from llwybr_common.db import session_scope
from llwybr_common.outbox import OutboxMessage, OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_contracts.journey import HandoffWatchInput
from tests.service_kit import desk_settings, fresh_schema

MIGRATIONS = Path(advocacy.__file__).parent / "migrations"
CARDIFF, SWANSEA = "W06000015", "W06000011"
SCHOOL = "6812345"
SNAP = "advocacy:snap-cymru"
TODAY = date(2026, 11, 27)  # a Friday


@dataclass
class SpyRelay:
    woken: int = 0

    def wake(self) -> None:
        self.woken += 1


@dataclass
class SpyWatches:
    """The handoffs' `HandoffWatch` workflows as the routes drive them (Temporal's side is
    workflows/tests/test_handoff_watch.py)."""

    begun: list[HandoffWatchInput] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)

    async def started(self, watch: HandoffWatchInput) -> None:
        self.begun.append(watch)

    async def answered(self, handoff_ids: Iterable[str]) -> None:
        self.ended.extend(handoff_ids)


@dataclass
class ReferralStub:
    """The referral service's `GET /api/v1/cases/{id}` as a service sees it."""

    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)
    down: bool = False

    def add(
        self,
        case_id: str,
        *,
        authority: str = CARDIFF,
        school_ref: str | None = SCHOOL,
        clocks: list[dict[str, Any]] | None = None,
    ) -> str:
        self.cases[case_id] = {
            "case_id": case_id,
            "authority": authority,
            "deciding_authority": None,
            "school_ref": school_ref,
            "learner": {"given_name": "Cerys", "family_name": "Jones"},
            "clocks": clocks or [],
        }
        return case_id

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        case_id = request.url.path.rsplit("/", 1)[-1]
        found = self.cases.get(case_id)
        return httpx.Response(200, json=found) if found else httpx.Response(404)


@dataclass
class Desk:
    """The advocacy service under test: its HTTP API, the referral stub and its outbox."""

    rt: Runtime
    http: httpx.AsyncClient
    referral: ReferralStub
    app: FastAPI
    watches: SpyWatches

    def token(self, role: str, *scopes: str, subject: str | None = None) -> dict[str, str]:
        jwt = mint_token(
            self.rt.settings, subject=subject or f"test-{role}", roles=[role], scopes=[*scopes]
        )
        return {"Authorization": f"Bearer {jwt}"}

    def officer(self, authority: str = CARDIFF) -> dict[str, str]:
        return self.token("la-officer", f"la:{authority}", subject=f"officer-{authority}")

    def alnco(self, school: str = SCHOOL) -> dict[str, str]:
        return self.token("school-alnco", f"school:{school}", subject=f"alnco-{school}")

    def advocate(self, subject: str = "advocate.snap", scope: str = SNAP) -> dict[str, str]:
        return self.token("advocate", scope, subject=subject)

    def service(self) -> dict[str, str]:
        return self.token("service", subject="service:referral")

    def case(self, **kwargs: Any) -> str:
        return self.referral.add(f"case-{uuid.uuid4().hex[:10]}", **kwargs)

    async def rows(self, model: Any, **where: Any) -> list[Any]:
        async with session_scope(self.rt.engine) as session:
            query = select(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return list((await session.exec(query)).all())

    async def events(self, case_id: str) -> list[tuple[str, dict[str, Any]]]:
        async with session_scope(self.rt.engine) as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.key == case_id)
                    .order_by(col(OutboxMessage.seq))
                )
            ).all()
        return [(r.event_type, r.envelope["data"]) for r in rows]

    async def audit(self, case_id: str) -> list[tuple[str, str, str]]:
        rows = await self.rows(AuditRecord, case_id=case_id)
        return [(r.action, r.resource, r.outcome) for r in rows]

    async def consent(
        self, case_id: str, headers: dict[str, str] | None = None, **body: Any
    ) -> str:
        payload = {
            "provider": SNAP,
            "given_by": "parent",
            "shares": ["decisions-and-clocks", "decision-notices"],
            "valid_from": "2026-11-20",
            **body,
        }
        r = await self.http.post(
            f"/api/v1/cases/{case_id}/advocacy-consents",
            json=payload,
            headers=headers or self.officer(),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["consent_id"])

    async def handoff(self, case_id: str, reason: str = "considering-appeal") -> str:
        r = await self.http.post(
            f"/api/v1/cases/{case_id}/advocacy-handoffs",
            json={"provider": SNAP, "reason": reason},
            headers=self.officer(),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["handoff_id"])

    async def accepted(self, case_id: str, advocate: str = "advocate.snap") -> str:
        await self.consent(case_id)
        handoff_id = await self.handoff(case_id)
        r = await self.http.post(
            f"/api/v1/advocacy-handoffs/{handoff_id}/accept",
            json={"advocate": advocate},
            headers=self.advocate("advocacy-lead.snap"),
        )
        assert r.status_code == 200, r.text
        return handoff_id


@asynccontextmanager
async def open_desk(infra: Endpoints, home: Path) -> AsyncIterator[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    settings = desk_settings(infra, home, service_urls={"referral": "http://referral.test"})
    engine, _ = await fresh_schema(settings, "adv", MIGRATIONS)
    broker = KafkaBroker(settings.kafka_bootstrap)  # never started: the outbox is read instead
    rt = Runtime(
        "advocacy", settings, engine, broker, cast(OutboxRelay, SpyRelay()), TracerProvider()
    )
    stub = ReferralStub()
    app = build_app("advocacy", migrations=MIGRATIONS, routers=ROUTERS, settings=settings)
    app.state.runtime = rt
    app.state.today = lambda: TODAY
    app.state.referral = ReferralCases(settings, transport=httpx.MockTransport(stub.answer))
    app.state.watches = watches = SpyWatches()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://advocacy"
        ) as http:
            yield Desk(rt, http, stub, app, watches)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
