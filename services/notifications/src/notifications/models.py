"""Tables of the notifications service."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class Notification(SQLModel, table=True):
    """One message for a role in a scope (never a named person on the event side)."""

    __tablename__ = "notifications"

    id: str = Field(primary_key=True)
    case_id: str = Field(index=True)
    kind: str
    channel: str = "in-app"
    recipient_role: str
    recipient_scope: str
    text_cy: str
    text_en: str
    source_event_id: str = Field(index=True)
    trace_id: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class NotificationPublic(SQLModel):
    id: str
    case_id: str
    kind: str
    channel: str
    recipient_role: str
    recipient_scope: str
    text_cy: str
    text_en: str
    trace_id: str | None
    created_at: datetime


class NotificationPage(SQLModel):
    """A list answer: `items` (and `next`, where a list pages; this one does not yet)."""

    items: list[NotificationPublic]
