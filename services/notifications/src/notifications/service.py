"""What the notifications service does, inside one transaction."""

import uuid
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.telemetry import current_trace_id
from notifications.models import Notification
from notifications.templates import TEMPLATES


async def record_in_app(
    session: AsyncSession,
    *,
    kind: str,
    case_id: str,
    recipient_role: str,
    recipient_scope: str,
    source_event_id: str,
) -> Notification:
    text_cy, text_en = TEMPLATES[kind].render(case_id=case_id)
    note = Notification(
        id=str(uuid.uuid4()),
        case_id=case_id,
        kind=kind,
        recipient_role=recipient_role,
        recipient_scope=recipient_scope,
        text_cy=text_cy,
        text_en=text_en,
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
