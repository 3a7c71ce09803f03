"""The notifications service's authorization matrix: every route of the composed app, for every
role in and out of scope, with no token and a garbage token, on three notifications of three
cases, one each for Cardiff's officers, school 6812345's ALNCo and Cardiff and Vale's DECLO
(see tests/authz.py for what each cell asserts).

A caller sees a notification addressed to a role and scope it holds; for anyone else the list
of a case's notifications is the empty list the case of no notifications gets."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

import notifications.main
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_common.settings import Settings
from llwybr_contracts.vocabulary import Role
from notifications.api import router
from notifications.models import Notification
from tests.authz import (
    CARDIFF,
    CARDIFF_AND_VALE,
    MISSING,
    SCHOOL,
    Caller,
    Expect,
    Record,
    Tally,
    Target,
    cells,
    check,
    report,
    routes,
    uncovered,
)

from .test_notifications_consumer import MIGRATIONS

pytestmark = pytest.mark.service

COMPOSED = notifications.main.app
TALLY = Tally()
ADDRESSED = (
    (Role.LA_OFFICER, f"la:{CARDIFF}"),
    (Role.SCHOOL_ALNCO, f"school:{SCHOOL}"),
    (Role.DECLO, f"board:{CARDIFF_AND_VALE}"),
)


def addressed_to(role: Role, scope: str) -> Callable[[Caller], bool]:
    def sees(caller: Caller) -> bool:
        return caller.has(Role.ADMIN, Role.SERVICE) or (caller.has(role) and caller.scoped(scope))

    return sees


@dataclass
class World:
    http: httpx.AsyncClient
    settings: Settings
    notes: tuple[tuple[str, Record], ...]  # (case id, its one notification)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    home = tmp_path_factory.mktemp("notifications-matrix")
    settings = Settings(
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka,
        home=home,
        span_file=str(home / "spans.jsonl"),
    )
    schema = f"n_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = KafkaBroker(settings.kafka_bootstrap)  # never started: the API reads only
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime("notifications", settings, engine, broker, relay, TracerProvider())
    app = build_app("notifications", migrations=MIGRATIONS, routers=[router], settings=settings)
    app.state.runtime = rt
    assert routes(app) == routes(COMPOSED), "the matrix runs the app as composed"
    notes = []
    async with session_scope(engine) as session:
        for role, scope in ADDRESSED:
            case_id, note_id = f"case-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
            text = f"Matrix-{uuid.uuid4().hex[:8]}"
            session.add(
                Notification(
                    id=note_id,
                    case_id=case_id,
                    kind="matrix",
                    recipient_role=role.value,
                    recipient_scope=scope,
                    text_cy=f"{text}-cy",
                    text_en=f"{text}-en",
                    source_event_id=f"e-{note_id}",
                    created_at=datetime.now(UTC),
                )
            )
            record = Record(
                f"{role.value}'s notification", (note_id, text), addressed_to(role, scope)
            )
            notes.append((case_id, record))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as http:
            yield World(http, settings, tuple(notes))
    finally:
        await engine.dispose()


EXPECT: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("GET", "/api/v1/notifications"): lambda w: Expect(
        targets=tuple(
            Target(record, query={"case_id": case_id}, missing_query={"case_id": MISSING})
            for case_id, record in w.notes
        ),
        listing=True,
    ),
}


def test_every_route_has_an_expectation() -> None:
    assert uncovered(COMPOSED, EXPECT) == []


@pytest.mark.parametrize(("route", "caller"), cells(COMPOSED))
async def test_cell(world: World, route: tuple[str, str], caller: Caller) -> None:
    make = EXPECT.get(route)
    expect = make(world) if make else None
    leaks = await check(world.http, world.settings, *route, expect, caller, TALLY)
    assert not leaks, "\n".join(leaks)


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('notifications', TALLY)}")
