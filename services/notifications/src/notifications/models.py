"""Tables of the notifications service, and the shapes of its API.

Personal data (a person's name and email address) lives in `recipients` only; a notification
holds ids, codes, dates and the text rendered from them (case reference, duty, due date: never
a learner's name), and a delivery keeps a hash of the address it went to, not the address.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable))


Language = Literal["cy", "en", "both"]
Channel = Literal["in-app", "email"]


def _both_channels() -> list[Channel]:
    return ["in-app", "email"]


class Recipient(SQLModel, table=True):
    """A person who is told: one role in one scope, their language, channels and digest choice."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_role_scope", "role", "scope"),)

    id: str = Field(primary_key=True)
    subject: str | None = Field(
        default=None, unique=True, description="their token's `sub`: whose inbox this is"
    )
    role: str
    scope: str
    name: str
    email: str
    language: str
    channels: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    digest: bool = False
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """One message: to a person (`recipient_id`), or, for the older role-wide kinds, to a role
    in a scope. Both languages are kept; the reader sees the one they chose."""

    __tablename__ = "notifications"

    id: str = Field(primary_key=True)
    case_id: str = Field(index=True)
    kind: str
    channel: str = "in-app"
    recipient_role: str
    recipient_scope: str
    recipient_id: str | None = None
    language: str | None = Field(default=None, description="cy, en or both, as chosen")
    text_cy: str
    text_en: str
    link: str | None = None
    params: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSONB, nullable=True),
        description="what the text was rendered from (ids, codes, dates): digests list these",
    )
    source_event_id: str = Field(index=True)
    trace_id: str | None = None
    created_at: datetime = _ts()
    read_at: datetime | None = _ts(nullable=True)


class EmailJob(SQLModel, table=True):
    """An email to send: rendered at send time from its parameters (ids, codes and dates), to
    an address looked up at send time (a recipient's, or the family's by claim-check)."""

    __tablename__ = "email_jobs"
    __table_args__ = (
        Index("ix_email_jobs_pending", "next_attempt_at", postgresql_where=text("done_at IS NULL")),
    )

    id: str = Field(primary_key=True)
    notification_id: str = Field(index=True)
    case_id: str
    template: str
    params: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    recipient_id: str | None = None
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)
    result: str | None = Field(default=None, description="delivered | failed")
    created_at: datetime = _ts()


class Delivery(SQLModel, table=True):
    """Every attempt to deliver a notification, on any channel."""

    __tablename__ = "deliveries"

    id: str = Field(primary_key=True)
    notification_id: str = Field(index=True)
    channel: str
    address_hash: str | None = Field(default=None, description="sha256 of the address, if any")
    attempt: int
    result: str = Field(description="delivered | retrying | failed")
    error: str | None = Field(default=None, description="an error class, never a message")
    at: datetime = _ts()


class DigestRun(SQLModel, table=True):
    """A working morning's digest, claimed once (by whichever replica gets there first)."""

    __tablename__ = "digest_runs"

    day: date = Field(primary_key=True)
    started_at: datetime = _ts()


# --- API shapes --------------------------------------------------------------------------------


class RecipientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = PydanticField(description="a role, e.g. la-officer")
    scope: str = PydanticField(description="la:W06000015, board:W11000029, school:<ref>, ...")
    name: str = PydanticField(min_length=1, max_length=200)
    email: str = PydanticField(min_length=3, max_length=320)
    language: Language = "cy"
    channels: list[Channel] = PydanticField(default_factory=_both_channels)
    digest: bool = False
    subject: str | None = PydanticField(
        None, max_length=200, description="their sign-in subject, for their inbox"
    )


class RecipientPublic(BaseModel):
    id: str
    subject: str | None
    role: str
    scope: str
    name: str
    email: str
    language: str
    channels: list[str]
    digest: bool


class RecipientPage(BaseModel):
    items: list[RecipientPublic]


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


class InboxItem(BaseModel):
    id: str
    case_id: str
    kind: str
    language: str
    text: str = PydanticField(description="in the reader's language; both: Welsh first")
    link: str | None
    created_at: datetime
    unread: bool


class InboxPage(BaseModel):
    items: list[InboxItem]
