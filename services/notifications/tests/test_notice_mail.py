"""Decision notices reach the family (Act s.9, s.22, s.68-70): FastStream's TestKafkaBroker and
real PostgreSQL, the mailer with a fake SMTP client, and the referral service's
`notice-contacts` claim-check answered over HTTP (its access is tested in referral's tests).

An LA's no-ALN decision becomes an email in the family's language with the notice attached as
a PDF whose appeal deadline is the `tribunal-appeal` clock's from the notice date; a
looked-after child's IRO gets a copy; a family with no contact is a `no-address` delivery."""

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from functools import partial
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from faststream.kafka import TestKafkaBroker
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from llwybr.stack import Endpoints
from llwybr_common import family_link
from llwybr_common.db import make_engine, session_scope
from llwybr_common.kafka import make_broker
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxMessage
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import AlnDecided, AppealWindowOpened, Event
from llwybr_contracts.states import DecidingBody
from notifications import notice_mail
from notifications.consumers import consumers
from notifications.mailer import Mailer, address_hash
from notifications.models import Delivery, EmailJob, Notification
from tests.integration.signing import Keys

from .test_notices import NOTICE_DATE, clock_cli_due
from .test_notifications_consumer import MIGRATIONS

pytestmark = pytest.mark.service

PARENT, IRO = "rhiant@example.cymru", "iro@caerdydd.example.gov.uk"
CONSOLE = "http://console.test"


@dataclass
class Referral:
    """What the referral service answers to `GET /api/v1/cases/{id}/notice-contacts`."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"].startswith("Bearer ")
        case_id = request.url.path.split("/")[4]
        self.asked.append(case_id)
        if self.down:
            return httpx.Response(503)
        found = self.contacts.get(case_id)
        return httpx.Response(200, json=found) if found else httpx.Response(404)


@dataclass
class World:
    engine: AsyncEngine
    keys: Keys
    broker: Any
    referral: Referral
    sent: list[EmailMessage]
    mailer: Mailer
    links: Settings


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    schema = f"n_{uuid.uuid4().hex[:10]}"
    engine = make_engine(infra.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = make_broker("localhost:9092")
    rt = SimpleNamespace(engine=engine, broker=broker, settings=Settings())
    keys = Keys("worker")
    for consumer in consumers(rt):  # type: ignore[arg-type]
        consumer.verify_with(keys.verifier)
        consumer.attach(broker)
    referral = Referral()
    contacts = notice_mail.ReferralContacts(
        Settings(service_urls={"referral": "http://referral"}),
        transport=httpx.MockTransport(referral.handle),
    )
    links = Settings(home=tmp_path_factory.mktemp("links"), console_url=CONSOLE)
    compose = notice_mail.notice_composer(contacts, partial(family_link.url, links))
    sent: list[EmailMessage] = []
    mailer = Mailer(
        Settings(),
        partial(session_scope, engine),
        composers={notice_mail.FAMILY: compose, notice_mail.IRO: compose},
        retry_seconds=0,
        send=lambda _settings, message: sent.append(message),
    )
    try:
        yield World(engine, keys, broker, referral, sent, mailer, links)
    finally:
        await engine.dispose()


async def publish(world: World, *events: Event, send: bool = True) -> None:
    async with TestKafkaBroker(world.broker) as test_broker:
        for event in events:
            case_id = str(getattr(event, "case_id"))  # noqa: B009
            envelope = wrap(
                event, event_id=f"e-{uuid.uuid4().hex}", source="/llwybr/worker", subject=case_id
            )
            await test_broker.publish(
                world.keys.signed(envelope, by="worker"), topics.JOURNEY, key=case_id.encode()
            )
    if send:
        await world.mailer.send_due()


def no_aln(case_id: str) -> AlnDecided:
    return AlnDecided(
        case_id=case_id,
        has_aln=False,
        deciding_body=DecidingBody.LOCAL_AUTHORITY,
        decided_on=NOTICE_DATE,
    )


def pdf_text(message: EmailMessage) -> str:
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    pages = PdfReader(io.BytesIO(pdf.get_content())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


async def rows(world: World, model: Any, **where: Any) -> list[Any]:
    async with session_scope(world.engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list((await session.exec(query)).all())


async def test_a_no_aln_la_decision_emails_a_welsh_pdf_notice_and_a_copy_to_the_iro(
    world: World,
) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    world.referral.contacts[case] = {
        "preferred_language": "cy",
        "family": {"name": "Nia Jones", "email": PARENT},
        "iro_email": IRO,
        "looked_after": True,
    }
    due = clock_cli_due("tribunal-appeal", NOTICE_DATE)  # what `llwybr clock` prints
    # The journey follows the decision with the appeal window it opened: one notice, not two.
    window = AppealWindowOpened(case_id=case, notice_given_on=NOTICE_DATE, due=due)
    await publish(world, no_aln(case), window)
    await world.mailer.send_due()  # the IRO's copy, made when the family's job was addressed

    mine = [m for m in world.sent if case in str(m["Subject"])]
    assert sorted(m["To"] for m in mine) == sorted([PARENT, IRO])
    family = next(m for m in mine if m["To"] == PARENT)
    assert str(family["Subject"]).startswith("Hysbysiad am achos")
    assert "/" not in str(family["Subject"]) and family["Content-Language"] == "cy"
    plain, html = family.get_body(("plain",)), family.get_body(("html",))
    assert plain is not None and html is not None
    assert "wedi'i atodi fel PDF" in plain.get_content()
    assert "30 Rhagfyr 2026" in plain.get_content()
    text = pdf_text(family)
    assert due == date(2026, 12, 30) and "30 Rhagfyr 2026" in text
    assert "Dribiwnlys Addysg Cymru" in text and "dim anghenion dysgu ychwanegol" in text
    assert "December" not in text and case in text
    iro = next(m for m in mine if m["To"] == IRO)
    assert "swyddog adolygu annibynnol" in iro.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The family's notice, email and PDF, carries their own signed link to follow the case;
    # the IRO's copy does not (the link is the family's).
    [link] = [w for w in plain.get_content().split() if w.startswith(f"{CONSOLE}/family/")]
    assert family_link.verify(world.links, link.rsplit("/", 1)[1]).case_id == case
    assert "Dilyn eich achos ar-lein" in text and "console.test/family/" in text
    assert "Mae'r ddolen hon yn dangos ble mae eich achos" in plain.get_content()
    assert "/family/" not in iro.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "/family/" not in pdf_text(iro)
    assert "30 Rhagfyr 2026" in pdf_text(iro)

    [note] = await rows(world, Notification, case_id=case)
    deliveries = await rows(world, Delivery, notification_id=note.id)
    assert sorted((d.result, d.address_hash) for d in deliveries) == sorted(
        [("delivered", address_hash(PARENT)), ("delivered", address_hash(IRO))]
    )
    stored = ""
    for model in (Notification, EmailJob, Delivery):
        stored += " ".join(str(r.model_dump()) for r in await rows(world, model))
    assert PARENT not in stored and IRO not in stored and "Nia" not in stored
    events = [m.event_type for m in await rows(world, OutboxMessage, key=case)]
    assert events.count("wales.aln.notifications.notification-delivered.v1") == 2


async def test_a_family_with_no_contact_is_recorded_and_nothing_is_sent(world: World) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    world.referral.contacts[case] = {
        "preferred_language": "en",
        "family": None,
        "iro_email": None,
        "looked_after": False,
    }
    await publish(world, no_aln(case))
    assert not [m for m in world.sent if case in str(m["Subject"])]
    [note] = await rows(world, Notification, case_id=case)
    [delivery] = await rows(world, Delivery, notification_id=note.id)
    assert (delivery.result, delivery.error) == ("no-address", "no-family-contact")
    [job] = await rows(world, EmailJob, case_id=case)
    assert job.result == "no-address" and job.done_at is not None


async def test_an_unreachable_referral_service_is_retried_then_the_notice_goes(
    world: World,
) -> None:
    case = f"case-{uuid.uuid4().hex[:8]}"
    world.referral.contacts[case] = {
        "preferred_language": "both",
        "family": {"name": "Mark Evans", "email": "mark@example.org"},
        "iro_email": None,
        "looked_after": False,
    }
    world.referral.down = True
    try:
        await publish(world, no_aln(case), send=False)
        await world.mailer.send_due(limit=1)
    finally:
        world.referral.down = False
    [job] = await rows(world, EmailJob, case_id=case)
    assert (job.result, job.attempts) == (None, 1), "kept for another attempt"
    await world.mailer.send_due(limit=1)
    [message] = [m for m in world.sent if case in str(m["Subject"])]
    subject = str(message["Subject"])
    assert subject.index("Hysbysiad am achos") < subject.index("/ Notice about case")
    text = pdf_text(message)
    assert text.index("30 Rhagfyr 2026") < text.index("30 December 2026")
    assert text.index("Dilyn eich achos ar-lein") < text.index("Follow your case online")
    [note] = await rows(world, Notification, case_id=case)
    results = [
        (d.attempt, d.result, d.error) for d in await rows(world, Delivery, notification_id=note.id)
    ]
    assert sorted(results) == [(1, "retrying", "referral-503"), (2, "delivered", None)]
