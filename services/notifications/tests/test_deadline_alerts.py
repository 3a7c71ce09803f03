"""Deadline events reach their people: FastStream's TestKafkaBroker (no broker) and real
PostgreSQL, with the directory seeded from the embedded people file, and the mailer run with a
fake SMTP client that can fail, and once with the real SMTP client and sink.

Cardiff (people file): LA officers Siân (cy) and Mark (en); LA manager Rhian (both, digest);
head of service David (en)."""

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP
from faststream.kafka import TestKafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from llwybr.components import PEOPLE_CSV
from llwybr.smtp_sink import MaildirHandler
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.kafka import make_broker
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxMessage
from llwybr_common.people import read_people
from llwybr_common.settings import Settings
from llwybr_common.wales import today_in_wales
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import (
    DeadlineAtRisk,
    DeadlineBreached,
    DeadlineDue,
    DeadlineEvent,
)
from notifications import recipients
from notifications.consumers import consumers
from notifications.digests import digest_due, send_digests
from notifications.mailer import Mailer, address_hash, compose_for_recipient
from notifications.models import Delivery, EmailJob, Notification, Recipient
from notifications.rendering import long_date
from tests.integration.signing import Keys

from .test_notifications_consumer import MIGRATIONS

pytestmark = pytest.mark.service

CARDIFF = "la:W06000015"
CONSOLE = "http://console.test"


@dataclass
class World:
    engine: AsyncEngine
    keys: Keys
    broker: Any
    people: dict[str, Recipient]  # by subject


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints) -> AsyncIterator[World]:
    schema = f"n_{uuid.uuid4().hex[:10]}"
    engine = make_engine(infra.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    async with session_scope(engine) as session:
        await recipients.seed(session, read_people(PEOPLE_CSV))
    async with session_scope(engine) as session:
        people = {r.subject or "": r for r in (await session.exec(select(Recipient))).all()}
    broker = make_broker("localhost:9092")
    settings = Settings(console_url=CONSOLE)
    rt = SimpleNamespace(engine=engine, broker=broker, settings=settings)
    keys = Keys("worker")
    for consumer in consumers(rt):  # type: ignore[arg-type]
        consumer.verify_with(keys.verifier)
        consumer.attach(broker)
    try:
        yield World(engine, keys, broker, people)
    finally:
        await engine.dispose()


def envelope_of(
    event: DeadlineEvent, *, event_id: str | None = None, at: datetime | None = None
) -> Any:
    return wrap(
        event,
        event_id=event_id or f"e-{uuid.uuid4().hex}",
        source="/llwybr/worker",
        subject=event.case_id,
        time=at,
    )


async def publish(world: World, *envelopes: Any) -> None:
    async with TestKafkaBroker(world.broker) as test_broker:
        for envelope in envelopes:
            await test_broker.publish(
                world.keys.signed(envelope, by="worker"),
                topics.JOURNEY,
                key=envelope.subject.encode(),
            )


async def notes_of(world: World, case_id: str) -> dict[str, Notification]:
    """The case's notifications, by the subject of the person each went to."""
    by_id = {r.id: s for s, r in world.people.items()}
    async with session_scope(world.engine) as session:
        rows = (
            await session.exec(select(Notification).where(Notification.case_id == case_id))
        ).all()
    return {by_id.get(n.recipient_id or "", "someone else"): n for n in rows}


async def jobs_of(world: World, case_id: str) -> list[EmailJob]:
    async with session_scope(world.engine) as session:
        return list((await session.exec(select(EmailJob).where(EmailJob.case_id == case_id))).all())


def breach(case_id: str, role: str, due: date = date(2026, 11, 20)) -> DeadlineBreached:
    return DeadlineBreached(
        case_id=case_id,
        rule="la-decision",
        due=due,
        escalation_level=2,
        alert_role=role,
        alert_scope=CARDIFF,
    )


async def test_each_person_of_the_role_gets_one_alert_in_their_language(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    due = today_in_wales() + timedelta(days=14)
    at_risk = DeadlineAtRisk(
        case_id=case, rule="la-decision", due=due, alert_role="la-officer", alert_scope=CARDIFF
    )
    first = envelope_of(at_risk)
    await publish(world, first, first)  # and a redelivery

    notes = await notes_of(world, case)
    assert sorted(notes) == ["la-officer-2.cardiff", "la-officer.cardiff"]
    sian, mark = notes["la-officer.cardiff"], notes["la-officer-2.cardiff"]
    assert sian.language == "cy" and mark.language == "en"
    assert "14 diwrnod cyn y dyddiad dyledus" in sian.text_cy
    assert long_date(due, "cy") in sian.text_cy and long_date(due, "en") in mark.text_en
    assert sian.text_en == mark.text_en  # both kept; the inbox shows the chosen one
    assert sian.link == f"{CONSOLE}/cases/{case}"
    jobs = await jobs_of(world, case)
    assert sorted(j.recipient_id for j in jobs) == sorted([sian.recipient_id, mark.recipient_id])


async def test_a_digest_manager_gets_warnings_in_the_digest_but_a_breach_at_once(
    world: World,
) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    due = DeadlineDue(
        case_id=case,
        rule="la-decision",
        due=date(2026, 11, 27),
        escalation_level=1,
        alert_role="la-manager",
        alert_scope=CARDIFF,
    )
    await publish(world, envelope_of(due))
    assert list(await notes_of(world, case)) == ["la-manager.cardiff"]
    assert await jobs_of(world, case) == []  # Rhian chose the digest

    await publish(world, envelope_of(breach(case, "la-manager")))
    jobs = await jobs_of(world, case)
    assert [j.params["stage"] for j in jobs] == ["breached"]


async def test_journeys_of_before_reach_the_head_of_service_by_the_old_name(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    await publish(world, envelope_of(breach(case, "la-head-of-service")))
    assert list(await notes_of(world, case)) == ["head-of-service.cardiff"]


async def test_a_person_added_later_gets_no_old_alert(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    happened = datetime.now(UTC)
    async with session_scope(world.engine) as session:
        await recipients.seed(
            session,
            [
                p.__class__(**{**p.__dict__, "subject": f"late-{case}", "role": "la-manager"})
                for p in read_people(PEOPLE_CSV)[:1]
            ],
        )
    # The event happened before the new manager joined; it arrives only now.
    await publish(world, envelope_of(breach(case, "la-manager"), at=happened))
    assert list(await notes_of(world, case)) == ["la-manager.cardiff"]


class FakeSmtp:
    """Refuses the first `failures` messages (to `to` about case `about`, if given), accepts
    the rest."""

    def __init__(self, failures: int = 0, about: str = "", to: str | None = None) -> None:
        self.failures, self.about, self.to = failures, about, to
        self.sent: list[EmailMessage] = []

    def __call__(self, settings: Settings, message: EmailMessage) -> None:
        if (
            self.failures
            and self.about in str(message["Subject"])
            and self.to in (None, message["To"])
        ):
            self.failures -= 1
            raise ConnectionRefusedError("sink down")
        self.sent.append(message)


def mailer(world: World, smtp: FakeSmtp, max_attempts: int = 3) -> Mailer:
    return Mailer(
        Settings(),
        partial(session_scope, world.engine),
        composers={"alert": compose_for_recipient, "digest": compose_for_recipient},
        max_attempts=max_attempts,
        retry_seconds=0,  # due again at once: the test drives each attempt
        send=smtp,
    )


async def deliveries(world: World, notification_id: str) -> list[Delivery]:
    async with session_scope(world.engine) as session:
        rows = await session.exec(
            select(Delivery)
            .where(Delivery.notification_id == notification_id, Delivery.channel == "email")
            .order_by(col(Delivery.attempt))
        )
        return list(rows.all())


async def outbox_types(world: World, notification_id: str) -> list[str]:
    async with session_scope(world.engine) as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    return sorted(
        r.event_type.split(".")[3]
        for r in rows
        if r.envelope["data"].get("notification_id") == notification_id
    )


async def test_email_is_sent_in_the_persons_language_and_every_attempt_is_recorded(
    world: World,
) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    await publish(world, envelope_of(breach(case, "la-manager")))
    rhian = world.people["la-manager.cardiff"]
    # The sink is down for the first try, then back inside the retry window.
    smtp = FakeSmtp(failures=1, about=case, to=rhian.email)
    m = mailer(world, smtp)
    while await m.send_due():
        pass
    [message] = [s for s in smtp.sent if case in str(s["Subject"]) and s["To"] == rhian.email]
    # Both languages, Welsh first.
    assert str(message["Subject"]).startswith("Terfyn amser wedi'i dorri")
    assert "/ Deadline breached" in str(message["Subject"])
    body = message.get_body(("plain",))
    assert body is not None
    plain = body.get_content()
    assert plain.index("Dyddiad dyledus") < plain.index("Due date")
    assert message.get_body(("html",)) is not None
    note = (await notes_of(world, case))["la-manager.cardiff"]
    attempts = await deliveries(world, note.id)
    assert [(d.attempt, d.result) for d in attempts] == [(1, "retrying"), (2, "delivered")]
    assert {d.address_hash for d in attempts} == {address_hash(rhian.email)}
    assert await outbox_types(world, note.id) == ["notification-delivered"] * 2  # in-app, email


async def test_an_email_that_keeps_failing_ends_in_notification_failed(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    await publish(world, envelope_of(breach(case, "head-of-service")))
    m = mailer(world, FakeSmtp(failures=99), max_attempts=3)
    while await m.send_due():
        pass
    note = (await notes_of(world, case))["head-of-service.cardiff"]
    attempts = await deliveries(world, note.id)
    assert [d.result for d in attempts] == ["retrying", "retrying", "failed"]
    assert attempts[-1].error == "ConnectionRefusedError"
    assert await outbox_types(world, note.id) == ["notification-delivered", "notification-failed"]


def test_the_digest_is_due_at_eight_on_working_mornings_in_wales() -> None:
    # Mon 30 Nov 2026 (GMT) and Wed 1 Jul 2026 (BST: 08:00 in Wales is 07:00 UTC).
    assert not digest_due(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))
    assert digest_due(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert digest_due(datetime(2026, 7, 1, 7, 0, tzinfo=UTC))
    assert not digest_due(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # a Saturday
    assert not digest_due(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))  # Boxing Day substitute


async def test_a_morning_digest_lists_the_managers_alerts_once(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    at_risk = DeadlineAtRisk(
        case_id=case,
        rule="la-decision",
        due=today_in_wales() + timedelta(days=7),
        alert_role="la-manager",
        alert_scope=CARDIFF,
    )
    await publish(world, envelope_of(at_risk))
    rhian = world.people["la-manager.cardiff"]
    # No email of its own for the manager who chose the digest: it waits for the morning.
    assert [j for j in await jobs_of(world, case) if j.recipient_id == rhian.id] == []
    morning = datetime.now(UTC)
    async with session_scope(world.engine) as session:
        assert await send_digests(session, now=morning) >= 1
    async with session_scope(world.engine) as session:
        assert await send_digests(session, now=morning) == 0  # that morning is claimed
        [job] = (
            await session.exec(
                select(EmailJob).where(
                    EmailJob.template == "digest", EmailJob.recipient_id == rhian.id
                )
            )
        ).all()
    assert case in {item["case_id"] for item in job.params["items"]}
    smtp = FakeSmtp()
    m = mailer(world, smtp)
    while await m.send_due():
        pass
    [digest] = [s for s in smtp.sent if "Crynodeb bore Llwybr" in str(s["Subject"])]
    assert digest["To"] == rhian.email and "Llwybr morning digest" in str(digest["Subject"])


class Sink:
    """The SMTP sink `llwybr up` runs, served in this process; stopped, its port refuses."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(MaildirHandler(self.folder), hostname="sink"), "127.0.0.1", self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def messages(self, case_id: str) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            m = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if case_id in str(m["Subject"]):
                found.append(m)
        return found  # type: ignore[return-value]


async def test_a_stopped_smtp_server_is_retried_then_given_up_and_a_returning_one_gets_all(
    world: World, tmp_path: Path
) -> None:
    """Real SMTP client and server: while the server is stopped every attempt is refused and
    retried; back inside the retry window, it receives the message; never back, the job ends
    in `NotificationFailed` after the last attempt."""
    sink = Sink(tmp_path)
    await sink.start()
    await sink.stop()  # the port is known, and now refuses
    lost, waits = f"case-{uuid.uuid4().hex[:8]}", f"case-{uuid.uuid4().hex[:8]}"
    await publish(world, envelope_of(breach(lost, "head-of-service")))
    m = Mailer(
        Settings(smtp_host="127.0.0.1", smtp_port=sink.port),
        partial(session_scope, world.engine),
        composers={"alert": compose_for_recipient},
        max_attempts=3,
        retry_seconds=0,  # due again at once: the test drives each attempt
    )
    while await m.send_due():
        pass
    david = (await notes_of(world, lost))["head-of-service.cardiff"]
    attempts = await deliveries(world, david.id)
    assert [d.result for d in attempts] == ["retrying", "retrying", "failed"]
    assert attempts[-1].error == "ConnectionRefusedError"
    assert await outbox_types(world, david.id) == ["notification-delivered", "notification-failed"]

    await publish(world, envelope_of(breach(waits, "head-of-service")))
    m = Mailer(
        Settings(smtp_host="127.0.0.1", smtp_port=sink.port),
        partial(session_scope, world.engine),
        composers={"alert": compose_for_recipient},
        max_attempts=3,
        retry_seconds=0.5,  # the next attempt waits its backoff
    )
    assert await m.send_due()  # the first attempt is refused; the next waits 0.5 s
    await sink.start()
    for _ in range(100):
        if sink.messages(waits):
            break
        await m.send_due()
        await asyncio.sleep(0.05)
    [message] = sink.messages(waits)
    assert message["To"] == world.people["head-of-service.cardiff"].email
    await sink.stop()
    note = (await notes_of(world, waits))["head-of-service.cardiff"]
    assert [d.result for d in await deliveries(world, note.id)] == ["retrying", "delivered"]
    assert sink.messages(lost) == []
