"""What the notifications service does, inside one transaction: role-wide in-app messages and
a person's inbox."""

import uuid
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.errors import NotFound
from llwybr_common.telemetry import current_trace_id
from llwybr_common.unit_of_work import UnitOfWork
from notifications.models import InboxItem, Notification, Recipient
from notifications.rendering import languages, text


async def record_in_app(
    session: AsyncSession,
    *,
    kind: str,
    case_id: str,
    recipient_role: str,
    recipient_scope: str,
    source_event_id: str,
) -> Notification:
    msgid = f"notifications.{kind}"
    note = Notification(
        id=str(uuid.uuid4()),
        case_id=case_id,
        kind=kind,
        recipient_role=recipient_role,
        recipient_scope=recipient_scope,
        text_cy=text(msgid, "cy", case_id=case_id),
        text_en=text(msgid, "en", case_id=case_id),
        source_event_id=source_event_id,
        trace_id=current_trace_id(),
        created_at=datetime.now(UTC),
    )
    session.add(note)
    return note


async def list_for_case(session: AsyncSession, *, case_id: str) -> list[Notification]:
    rows = await session.exec(
        select(Notification)
        .where(Notification.case_id == case_id)
        .order_by(col(Notification.created_at))
    )
    return list(rows.all())


# --- a person's inbox ----------------------------------------------------------------------------


async def _my_recipient_ids(session: AsyncSession, subject: str) -> list[str]:
    rows = await session.exec(select(Recipient.id).where(Recipient.subject == subject))
    return list(rows.all())


def inbox_item(note: Notification) -> InboxItem:
    texts = {"cy": note.text_cy, "en": note.text_en}
    return InboxItem(
        id=note.id,
        case_id=note.case_id,
        kind=note.kind,
        language=note.language or "both",
        text="\n\n".join(texts[lang] for lang in languages(note.language or "both")),
        link=note.link,
        created_at=note.created_at,
        unread=note.read_at is None,
    )


async def inbox(uow: UnitOfWork, *, limit: int = 100) -> list[Notification]:
    """The caller's own in-app notifications (by their token's subject), newest first."""
    mine = await _my_recipient_ids(uow.session, uow.principal.subject)
    if not mine:
        return []
    rows = await uow.session.exec(
        select(Notification)
        .where(col(Notification.recipient_id).in_(mine), Notification.channel == "in-app")
        .order_by(col(Notification.created_at).desc(), col(Notification.id))
        .limit(limit)
    )
    uow.audit(action="read", resource="inbox", resource_id=uow.principal.subject)
    return list(rows.all())


async def mark_read(uow: UnitOfWork, *, notification_id: str) -> Notification:
    mine = await _my_recipient_ids(uow.session, uow.principal.subject)
    note = await uow.session.get(Notification, notification_id)
    if note is None or note.recipient_id not in mine or note.channel != "in-app":
        raise NotFound("notifications.notification-not-found", notification_id=notification_id)
    if note.read_at is None:
        note.read_at = datetime.now(UTC)
        uow.session.add(note)
        uow.audit(
            action="update", resource="notification", resource_id=note.id, case_id=note.case_id
        )
    return note
