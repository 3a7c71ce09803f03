"""A health request nobody answers (Regs reg 11, six weeks; docs/rules.md, escalation): the
journey on the time-skipping server, its deadline events handed to the real notifications
consumer (real PostgreSQL, the embedded people file) and its mailer sending over SMTP to the
real sink, whose mail folder the test reads, at each moment the ladder names:

- at risk and due, 09:00: the board's DECLO, Gareth, who reads Welsh;
- breached, 00:00 the day after the due date: Gareth and Cardiff's LA officers, Mark in
  English and Siân in Welsh;
- 14 days after the breach: the board's ALN lead, Nia, in the next morning's digest (she
  chose one), Welsh first.
"""

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP
from faststream.kafka import TestKafkaBroker
from journey_kit import (
    Outbox,
    advance_to,
    at,
    case_input,
    expected,
    journey_worker,
    new_case,
    start_case,
    today,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

import notifications
from llwybr.components import PEOPLE_CSV
from llwybr.smtp_sink import MaildirHandler
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.kafka import make_broker
from llwybr_common.migrations import migrate
from llwybr_common.people import read_people
from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import payload_class
from llwybr_contracts.journey import RequestHealthInput
from llwybr_contracts.states import DecidingBody
from llwybr_workflows.journey.activities import journey_event_id
from llwybr_workflows.journey.workflows import IdpJourney
from notifications import recipients
from notifications.consumers import consumers
from notifications.digests import send_digests
from notifications.mailer import Mailer, compose_for_recipient
from tests.integration.signing import Keys

pytestmark = pytest.mark.service

MIGRATIONS = Path(notifications.__file__).parent / "migrations"

PEOPLE = {p.subject: p for p in read_people(PEOPLE_CSV)}
GARETH, SIAN, MARK = (
    PEOPLE["declo.cav"],
    PEOPLE["la-officer.cardiff"],
    PEOPLE["la-officer-2.cardiff"],
)
NIA = PEOPLE["board-aln-lead.cav"]


@dataclass
class Post:
    """The notifications service with its mailer, and the SMTP sink's folder."""

    engine: AsyncEngine
    broker: Any
    keys: Keys
    mailer: Mailer
    folder: Path
    forwarded: set[str] = field(default_factory=set)


@pytest_asyncio.fixture(loop_scope="session")
async def post(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Post]:
    folder = tmp_path / "mail"
    folder.mkdir()
    # The sink `llwybr up` runs, served in this process on a free port.
    sink = await asyncio.get_running_loop().create_server(
        lambda: SMTP(MaildirHandler(folder), hostname="sink"), "127.0.0.1", 0
    )
    port = sink.sockets[0].getsockname()[1]
    schema = f"n_{uuid.uuid4().hex[:10]}"
    engine = make_engine(infra.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    async with session_scope(engine) as session:
        await recipients.seed(session, read_people(PEOPLE_CSV))
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, console_url="http://console.test")
    broker, keys = make_broker("localhost:9092"), Keys("worker")
    rt = SimpleNamespace(engine=engine, broker=broker, settings=settings)
    for consumer in consumers(rt):  # type: ignore[arg-type]
        consumer.verify_with(keys.verifier)
        consumer.attach(broker)
    mailer = Mailer(
        settings,
        partial(session_scope, engine),
        composers={"alert": compose_for_recipient, "digest": compose_for_recipient},
    )
    try:
        yield Post(engine, broker, keys, mailer, folder)
    finally:
        sink.close()
        await sink.wait_closed()
        await engine.dispose()


async def deliver(env: WorkflowEnvironment, outbox: Outbox, post: Post) -> None:
    """Hand the journey's new deadline events to the notifications consumer, stamped with the
    (skipped) time they happened, then send every email that is due."""
    now = await env.get_current_time()
    fresh = [
        e for e in outbox.events
        if e.event_type.split(".")[3].startswith("deadline-")
        and journey_event_id(e.workflow_id, e.seq) not in post.forwarded
    ]  # fmt: skip
    async with TestKafkaBroker(post.broker) as broker:
        for request in fresh:
            cls = payload_class(request.event_type)
            assert cls is not None
            event_id = journey_event_id(request.workflow_id, request.seq)
            envelope = wrap(
                cls.model_validate(request.payload),
                event_id=event_id,
                source="/llwybr/worker",
                subject=request.subject,
                time=now,
            )
            value = post.keys.signed(envelope, by="worker")
            await broker.publish(value, topics.JOURNEY, key=request.subject.encode())
            post.forwarded.add(event_id)
    while await post.mailer.send_due():
        pass


def mail(post: Post, needle: str) -> list[EmailMessage]:
    """The sink's messages whose subject or plain text names `needle`, oldest first."""
    found = []
    for path in sorted(post.folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        plain = body.get_content() if body is not None else ""
        if needle in str(message["Subject"]) + plain:
            found.append(message)
    return found


def to(messages: list[EmailMessage]) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Subject"]).strip().split(":")[0]) for m in messages]


async def test_an_unanswered_health_request_reaches_declo_officers_and_aln_lead_by_email(
    skipping: WorkflowEnvironment, post: Post
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case, rid = new_case(), new_case()
        start = await today(env)
        body = DecidingBody.LOCAL_AUTHORITY
        handle = await start_case(env, case_input(case, start, rule="la-decision", body=body))
        await handle.execute_update(
            IdpJourney.request_health_input,
            RequestHealthInput(actor="u-1", request_id=rid, sent_on=start),
        )
        clock = expected("health-response", start)
        due = clock.due()
        warnings = clock.warnings()
        assert due is not None and warnings
        first_warning = warnings[0]

        # Nothing before 09:00 on the first warning day; then the DECLO, in Welsh only.
        await advance_to(env, at(first_warning, 8, 59))
        await deliver(env, outbox, post)
        assert mail(post, case) == []
        await advance_to(env, at(first_warning, 9, 1))
        await deliver(env, outbox, post)
        [risk] = mail(post, case)
        assert to([risk]) == [(GARETH.email, "Terfyn amser mewn perygl")]
        assert "Due date" not in risk.get_body(("plain",)).get_content()  # type: ignore[union-attr]

        # Due: the DECLO again (the second warning too, when it falls before the due date).
        await advance_to(env, at(due, 9, 1))
        await deliver(env, outbox, post)
        assert {t for t in to(mail(post, case))} == {
            (GARETH.email, "Terfyn amser mewn perygl"),
            (GARETH.email, "Terfyn amser yn ddyledus heddiw"),
        }
        assert not [m for m in mail(post, case) if str(m["To"]) in (SIAN.email, MARK.email)]

        # Breached, from 00:00 the day after: the DECLO and both LA officers, each in their
        # own language; Mark reads English.
        await advance_to(env, at(due + timedelta(days=1), 0, 1))
        await deliver(env, outbox, post)
        breaches = [m for m in mail(post, case) if "wedi'i dorri" in str(m["Subject"])
                    or "Deadline breached" in str(m["Subject"])]  # fmt: skip
        assert sorted(to(breaches)) == sorted(
            [
                (GARETH.email, "Terfyn amser wedi'i dorri"),
                (SIAN.email, "Terfyn amser wedi'i dorri"),
                (MARK.email, "Deadline breached"),
            ]
        )
        [english] = [m for m in breaches if str(m["To"]) == MARK.email]
        plain = english.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"http://console.test/cases/{case}" in plain and "Dyddiad" not in plain
        assert NIA.email not in {str(m["To"]) for m in mail(post, case)}

        # 13 days after the breach: still nothing for the ALN lead.
        escalation_day = due + timedelta(days=15)  # 14 days after the first day of breach
        await advance_to(env, at(escalation_day - timedelta(days=1), 12))
        await deliver(env, outbox, post)
        assert not [m for m in mail(post, case) if str(m["To"]) == NIA.email]

        # 14 days after: the escalation reaches Nia in the next morning's digest. The digest
        # loop runs on the service's own clock, not the journey's (the 08:00 working-morning
        # rule is tested in services/notifications), so its run is called here as it calls it.
        await advance_to(env, at(escalation_day, 0, 1))
        await deliver(env, outbox, post)
        assert not [m for m in mail(post, case) if str(m["To"]) == NIA.email]
        async with session_scope(post.engine) as session:
            assert await send_digests(session, now=datetime.now(UTC)) >= 1
        while await post.mailer.send_due():
            pass
        [digest] = [m for m in mail(post, case) if str(m["To"]) == NIA.email]
        assert str(digest["Subject"]).strip().startswith("Crynodeb bore Llwybr")
        text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert text.index("Wedi'i uwchgyfeirio") < text.index("Escalated")  # Welsh first
        await handle.terminate("test over")
