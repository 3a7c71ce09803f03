"""Deadline events become messages to people: one notification per person of the role and scope
the journey names, in their language, in-app and by email (docs/rules.md, escalation).

Only people in the directory when the event happened are told (a person added later does not
get old alerts), and the inbox makes a redelivered event a no-op. A manager who chose a digest
gets at-risk, due and escalation alerts in the next morning's digest instead of one email each;
a breach is emailed at once to everyone, digest or not: it needs someone to act today.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.wales import wales_date
from llwybr_common.outbox import add_event
from llwybr_common.telemetry import current_trace_id
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import (
    DeadlineAtRisk,
    DeadlineBreached,
    DeadlineDue,
    DeadlineEscalated,
    DeadlineEvent,
    NotificationDelivered,
)
from llwybr_contracts.vocabulary import Role
from notifications.models import Delivery, EmailJob, Notification, Recipient
from notifications.rendering import inbox_text

SOURCE = "/llwybr/notifications"
STAGE_OF: dict[type[DeadlineEvent], str] = {
    DeadlineAtRisk: "at-risk",
    DeadlineDue: "due",
    DeadlineBreached: "breached",
    DeadlineEscalated: "escalated",
}
KIND_OF = {stage: f"deadline-{stage}" for stage in STAGE_OF.values()}
DIGESTED_STAGES = frozenset({"at-risk", "due", "escalated"})
# What journeys started before alerts named the token role published for the head of service
# (the ladder's `LADDER_HEAD_OF_SERVICE`): the same people.
LEGACY_ROLES = {"la-head-of-service": Role.HEAD_OF_SERVICE.value}


def case_link(console_url: str, case_id: str) -> str:
    return f"{console_url.rstrip('/')}/cases/{case_id}" if console_url else f"/cases/{case_id}"


async def recipients_of(
    session: AsyncSession, *, role: str, scope: str, as_of: datetime
) -> list[Recipient]:
    """The people of `role` in `scope` who were in the directory at `as_of`."""
    role = LEGACY_ROLES.get(role, role)
    rows = await session.exec(
        select(Recipient)
        .where(Recipient.role == role, Recipient.scope == scope, Recipient.created_at <= as_of)
        .order_by(col(Recipient.id))
    )
    return list(rows.all())


def delivered_in_app(session: AsyncSession, note: Notification, language: str) -> None:
    """An in-app message is delivered when it is stored: recorded, and announced."""
    now = note.created_at
    session.add(
        Delivery(
            id=str(uuid.uuid4()),
            notification_id=note.id,
            channel="in-app",
            attempt=1,
            result="delivered",
            at=now,
        )
    )
    add_event(
        session,
        NotificationDelivered(
            case_id=note.case_id,
            notification_id=note.id,
            channel="in-app",
            language="en" if language == "en" else "cy",  # both: Welsh first
            delivered_at=now,
        ),
        event_id=f"{note.id}:in-app",
        source=SOURCE,
        subject=note.case_id,
    )


async def on_deadline(
    session: AsyncSession, envelope: CloudEvent, event: DeadlineEvent, *, console_url: str
) -> list[Notification]:
    stage = STAGE_OF[type(event)]
    happened = envelope.time
    people = await recipients_of(
        session, role=event.alert_role, scope=event.alert_scope, as_of=happened
    )
    link = case_link(console_url, event.case_id)
    params: dict[str, Any] = {
        "stage": stage,
        "rule": event.rule,
        "case_id": event.case_id,
        "due": event.due.isoformat(),
        "on": wales_date(happened).isoformat(),
        "level": event.escalation_level,
        "role": LEGACY_ROLES.get(event.alert_role, event.alert_role),
        "scope": event.alert_scope,
        "link": link,
    }
    notes = []
    now = datetime.now(UTC)
    for person in people:
        note = Notification(
            id=str(uuid.uuid4()),
            case_id=event.case_id,
            kind=KIND_OF[stage],
            channel="in-app" if "in-app" in person.channels else "email",
            recipient_role=person.role,
            recipient_scope=person.scope,
            recipient_id=person.id,
            language=person.language,
            text_cy=inbox_text(params, "cy"),
            text_en=inbox_text(params, "en"),
            link=link,
            params=params,
            source_event_id=envelope.id,
            trace_id=current_trace_id(),
            created_at=now,
        )
        session.add(note)
        if "in-app" in person.channels:
            delivered_in_app(session, note, person.language)
        if "email" in person.channels and not (person.digest and stage in DIGESTED_STAGES):
            session.add(
                EmailJob(
                    id=str(uuid.uuid4()),
                    notification_id=note.id,
                    case_id=event.case_id,
                    template="alert",
                    params=params,
                    recipient_id=person.id,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        notes.append(note)
    return notes
