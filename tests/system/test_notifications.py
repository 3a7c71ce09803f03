"""notifications on the real stack (real PostgreSQL, Tansu, Temporal, the SMTP sink, every
service its own process): a referral received so long ago that the LA's 12-week decision
(Act s.13) is already overdue makes the journey announce the breach at intake, and the seeded
LA manager and head of service of Cardiff each get one email about it, in their language,
naming the case and never the learner; the same event delivered again sends nothing."""

import asyncio
import email
import email.policy
import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from llwybr.components import PEOPLE_CSV
from llwybr.stack import Endpoints, Stack, event_keys_env
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.clock import StatutoryClock
from llwybr_common.event_signing import load_signer
from llwybr_common.people import read_people
from llwybr_common.wales import today_in_wales
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import DeadlineDue
from llwybr_contracts.vocabulary import RuleId
from notifications.rendering import long_date
from tests.integration.helpers import clock_cli_due, eventually, pdf_text

pytestmark = pytest.mark.system

CARDIFF = "W06000015"


def la_decision_due(start: date) -> date:
    snapshot = bank_holiday_snapshot(start.year, start.year + 1)
    due = StatutoryClock(rule=RuleId.LA_DECISION, start=start, calendar=snapshot).due()
    assert due is not None
    return due


def breached_start(today: date) -> date:
    """A receipt date whose la-decision clock is breached today but not yet escalated (the
    ladder escalates 7 days after the breach), so the breach is what the journey announces."""
    start = today - timedelta(days=86)
    while not la_decision_due(start) < today:
        start -= timedelta(days=1)
    assert today < la_decision_due(start) + timedelta(days=8)
    return start


def mail_about(folder: Path, case_id: str) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if case_id in str(message["Subject"]):
            found.append(message)
    return found


async def journey_event(kafka: str, case_id: str, kind: str) -> bytes:
    """The journey's own message (signed envelope, as it left the relay) of `kind` for a case."""
    consumer = AIOKafkaConsumer(
        topics.JOURNEY, bootstrap_servers=kafka, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    body = json.loads(record.value)
                    if body.get("subject") == case_id and body["type"].endswith(f".{kind}.v1"):
                        return bytes(record.value)
    finally:
        await consumer.stop()
    raise AssertionError(f"no {kind} for {case_id} on {topics.JOURNEY}")


async def test_an_overdue_referral_emails_the_managers_once(
    running: Stack, infra: Endpoints, token: Callable[..., str]
) -> None:
    people = {p.subject: p for p in read_people(PEOPLE_CSV)}
    manager, head = people["la-manager.cardiff"], people["head-of-service.cardiff"]
    learner_name = f"Jones-{uuid.uuid4().hex[:8]}"
    start = breached_start(today_in_wales())
    body = {
        "source": "parent",
        "received_on": start.isoformat(),
        "learner": {
            "given_name": "Cai",
            "family_name": learner_name,
            "date_of_birth": "2017-05-02",
            "preferred_language": "cy",
        },
        "authority": CARDIFF,
        "school": None,
        "concern": "Speech unclear",
    }
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as http:
        opened = await http.post("/api/v1/referrals", json=body, headers=officer)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    folder = running.home / "mail"

    async def mail() -> list[EmailMessage]:
        return mail_about(folder, case_id)

    def to(messages: list[EmailMessage]) -> list[str]:
        return sorted(str(m["To"]) for m in messages)

    sent = await eventually(mail, lambda m: len(m) >= 2, within=60, every=0.5)
    assert to(sent) == sorted([manager.email, head.email])
    by_to = {str(m["To"]): m for m in sent}
    due = la_decision_due(start)
    for person, message in ((manager, by_to[manager.email]), (head, by_to[head.email])):
        plain = message.get_body(("plain",))
        assert plain is not None
        text = plain.get_content()
        assert learner_name not in text + str(message["Subject"])  # email is not secure
        assert f"{running.url_of('console')}/cases/{case_id}" in text
        if person.language == "both":  # Rhian: Welsh first, then English
            assert text.index("Dyddiad dyledus") < text.index("Due date")
        else:  # David: English only
            assert "Deadline breached" in str(message["Subject"]) and "Achos" not in text
        assert f"{due.day} " in text and f"{(today_in_wales() - due).days} " in text

    # The same event again: nothing more is sent. A later event of the case (same partition,
    # so handled after the redelivery) shows the consumer has read past it.
    breach = await journey_event(infra.kafka, case_id, "deadline-breached")
    signer = load_signer(
        Path(event_keys_env(running.home, "worker")["LLWYBR_EVENT_SIGNING_KEY"]), "worker"
    )
    later = DeadlineDue(
        case_id=case_id,
        rule=RuleId.LA_DECISION,
        due=due,
        escalation_level=1,
        alert_role="head-of-service",
        alert_scope=f"la:{CARDIFF}",
    )
    marker = wrap(later, event_id=f"marker-{case_id}", source="/llwybr/worker", subject=case_id)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(topics.JOURNEY, breach, key=case_id.encode())
        signed = signer.sign(marker.model_dump(mode="json"))
        await producer.send_and_wait(
            topics.JOURNEY, json.dumps(signed).encode(), key=case_id.encode()
        )
    finally:
        await producer.stop()
    after = await eventually(mail, lambda m: len(m) >= 3, within=60, every=0.5)
    assert to(after) == sorted([manager.email, head.email, head.email])
    assert sum("Deadline due today" in str(m["Subject"]) for m in after) == 1


# --- a decision notice reaches the family: Welsh email, PDF, the clock's appeal date -------------

NOTICE = date(2026, 11, 23)  # the authority's no-ALN decision notice, given on a Monday


async def test_a_no_aln_decision_mails_the_family_a_welsh_pdf_with_the_appeal_date(
    running: Stack, token: Callable[..., str]
) -> None:
    """Act s.9, s.70; ETW Regulations reg 10 (docs/rules.md, tribunal-appeal): the family's
    notice, in the Welsh the learner's record asks for, carries the appeal deadline the clock
    computes from the notice date."""
    family = f"rhiant-{uuid.uuid4().hex[:8]}@example.org"
    body = {
        "source": "parent",
        "received_on": "2026-11-20",
        "learner": {"given_name": "Cai", "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
                    "date_of_birth": "2017-05-02", "preferred_language": "cy"},
        "authority": CARDIFF,
        "concern": "Reading well below age",
        "family_contact": {"name": "Mair Jones", "email": family},
    }  # fmt: skip
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    decision = {"outcome": "no-aln", "decided_on": NOTICE.isoformat(),
                "notice_given_on": NOTICE.isoformat()}  # fmt: skip
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as http:
        opened = await http.post("/api/v1/referrals", json=body, headers=officer)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        decided = await eventually(  # the journey may still be starting (503)
            lambda: http.post(f"/api/v1/cases/{case_id}/decision", json=decision, headers=officer),
            lambda r: r.status_code != 503,
            within=30,
        )
    assert decided.status_code == 200, decided.text

    async def notices() -> list[EmailMessage]:
        return [m for m in mail_about(running.home / "mail", case_id) if str(m["To"]) == family]

    [notice] = await eventually(notices, lambda m: len(m) >= 1, within=60, every=0.5)
    assert notice["Content-Language"] == "cy"
    [pdf] = [p for p in notice.iter_attachments() if p.get_content_type() == "application/pdf"]
    text = pdf_text(pdf.get_content())
    due = clock_cli_due("tribunal-appeal", NOTICE)
    assert long_date(due, "cy") in text and long_date(due, "en") not in text
    assert "Tribiwnlys Addysg Cymru" in text or "Dribiwnlys Addysg Cymru" in text
    assert body["learner"]["family_name"] not in str(notice["Subject"])  # type: ignore[index]


# --- the SMTP server down: deliveries wait for it, nothing is lost ------------------------------


async def email_attempts(infra: Endpoints, case_id: str) -> list[str]:
    """The results of every email attempt about a case (the notifications schema, as owner)."""
    conn = await asyncpg.connect(infra.database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT d.result FROM notifications.deliveries d JOIN notifications.notifications n"
            " ON n.id = d.notification_id WHERE n.case_id = $1 AND d.channel = 'email'"
            " ORDER BY d.at",
            case_id,
        )
    finally:
        await conn.close()
    return [r["result"] for r in rows]


async def test_mail_waits_for_a_stopped_smtp_server_and_nothing_is_lost(
    running: Stack, infra: Endpoints, token: Callable[..., str]
) -> None:
    """The mailer retries with backoff (5 s, 10 s, ... by default); a server back inside that
    window gets every message. Giving up with `NotificationFailed` after the last attempt is
    shown on a real closed port in services/notifications/tests/test_deadline_alerts.py."""
    people = {p.subject: p for p in read_people(PEOPLE_CSV)}
    body = {
        "source": "parent",
        "received_on": breached_start(today_in_wales()).isoformat(),
        "learner": {"given_name": "Cai", "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
                    "date_of_birth": "2017-05-02", "preferred_language": "en"},
        "authority": CARDIFF,
        "concern": "Speech unclear",
    }  # fmt: skip
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    running.stop_one("smtp")
    try:
        async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as http:
            opened = await http.post("/api/v1/referrals", json=body, headers=officer)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        tried = await eventually(
            lambda: email_attempts(infra, case_id), lambda r: len(r) >= 2, within=60
        )
        assert set(tried) == {"retrying"}  # both managers' first attempts failed
    finally:
        running.start_one("smtp")
    sent = await eventually(
        lambda: asyncio.to_thread(mail_about, running.home / "mail", case_id),
        lambda m: len(m) >= 2,
        within=60,
        every=0.5,
    )
    expected = {people["la-manager.cardiff"].email, people["head-of-service.cardiff"].email}
    assert {str(m["To"]) for m in sent} == expected
    results = await email_attempts(infra, case_id)
    assert results.count("delivered") == 2 and "failed" not in results
