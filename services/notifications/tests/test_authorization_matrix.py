"""The notifications service's authorization matrix: every route of the composed app, for every
role in and out of scope, with no token and a garbage token, on three notifications of three
cases, one each for Cardiff's officers, school 6812345's ALNCo and Cardiff and Vale's DECLO
(see tests/authz.py for what each cell asserts).

A caller sees a notification addressed to a role and scope it holds; for anyone else the list
of a case's notifications is the empty list the case of no notifications gets. The recipients
directory is for admins and, in their own authority's scope, LA managers (a recipient of
Cardiff is seeded; its name and address are personal); an inbox is its owner's alone (the
matrix's LA officer, by token subject, has one notification)."""

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
from notifications.models import Notification, Recipient
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


def manages_cardiff(caller: Caller) -> bool:
    return caller.has(Role.ADMIN) or (
        caller.has(Role.LA_MANAGER) and caller.scoped(f"la:{CARDIFF}")
    )


def owns_inbox(caller: Caller) -> bool:
    return caller.has(Role.LA_OFFICER)  # the token subject `matrix-la-officer`, any scope


def recipient_body(name: str) -> dict[str, object]:
    return {
        "role": "la-officer",
        "scope": f"la:{CARDIFF}",
        "name": name,
        "email": "matrix.person@cardiff.example.org",
        "language": "cy",
        "channels": ["in-app", "email"],
        "digest": False,
    }


@dataclass
class World:
    http: httpx.AsyncClient
    settings: Settings
    notes: tuple[tuple[str, Record], ...]  # (case id, its one notification)
    recipient: Record
    inbox_note: Record
    disposable: list[Record]  # recipients a DELETE cell may remove, one per cell

    def next_disposable(self) -> Record:
        return self.disposable.pop()


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
        people = []
        for n in range(40):  # the directory's record, and one for each DELETE cell
            rid, name = str(uuid.uuid4()), f"Person-{uuid.uuid4().hex[:8]}"
            now = datetime.now(UTC)
            session.add(
                Recipient(
                    id=rid,
                    role="la-officer",
                    scope=f"la:{CARDIFF}",
                    name=name,
                    email=f"{name.lower()}@cardiff.example.org",
                    language="cy",
                    channels=["in-app", "email"],
                    subject="matrix-la-officer" if n == 0 else None,
                    created_at=now,
                    updated_at=now,
                )
            )
            people.append(Record(f"recipient {n}", (rid,), manages_cardiff, personal=(name,)))
        note_id, text = str(uuid.uuid4()), f"Inbox-{uuid.uuid4().hex[:8]}"
        session.add(
            Notification(
                id=note_id,
                case_id=f"case-{uuid.uuid4().hex[:8]}",
                kind="deadline-breached",
                recipient_role="la-officer",
                recipient_scope=f"la:{CARDIFF}",
                recipient_id=people[0].ids[0],
                language="cy",
                text_cy=text,
                text_en=text,
                source_event_id=f"e-{note_id}",
                created_at=datetime.now(UTC),
            )
        )
        inbox_note = Record("the LA officer's inbox notification", (note_id, text), owns_inbox)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as http:
            yield World(http, settings, tuple(notes), people[0], inbox_note, people[1:])
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
    ("GET", "/api/v1/recipients"): lambda w: Expect(shows=(w.recipient,), listing=True),
    ("POST", "/api/v1/recipients"): lambda w: Expect(
        body=recipient_body(f"New-{uuid.uuid4().hex[:6]}"), shows=(w.recipient,), echoes=True
    ),
    ("PUT", "/api/v1/recipients/{recipient_id}"): lambda w: Expect(
        targets=(
            Target(
                w.recipient,
                path={"recipient_id": w.recipient.ids[0]},
                missing_path={"recipient_id": MISSING},
            ),
        ),
        acts=lambda caller, _: manages_cardiff(caller),
        body={**recipient_body(w.recipient.personal[0]), "subject": "matrix-la-officer"},
    ),
    ("DELETE", "/api/v1/recipients/{recipient_id}"): lambda w: (
        lambda rec: Expect(
            targets=(
                Target(
                    rec, path={"recipient_id": rec.ids[0]}, missing_path={"recipient_id": MISSING}
                ),
            ),
            acts=lambda caller, _: manages_cardiff(caller),
        )
    )(w.next_disposable()),
    ("GET", "/api/v1/inbox"): lambda w: Expect(shows=(w.inbox_note,), listing=True),
    ("POST", "/api/v1/inbox/{notification_id}/read"): lambda w: Expect(
        targets=(
            Target(
                w.inbox_note,
                path={"notification_id": w.inbox_note.ids[0]},
                missing_path={"notification_id": MISSING},
            ),
        ),
        acts=lambda caller, _: owns_inbox(caller),
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
