"""What insight keeps: every event it consumed, exactly as on the wire (ids, codes and dates
only), and the facts derived from them, which `llwybr insight rebuild` can recompute at any time.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

_JSON = JSON().with_variant(JSONB(), "postgresql")


class InsightEvent(SQLModel, table=True):
    """One consumed event; append-only (a trigger refuses UPDATE, DELETE and TRUNCATE)."""

    __tablename__ = "insight_events"

    event_id: str = Field(primary_key=True, max_length=200)
    topic: str
    type: str = Field(description="the CloudEvents type, e.g. wales.aln.journey.clock-met.v1")
    name: str = Field(description="the event's name in the catalogue, e.g. ClockMet")
    subject: str = Field(index=True, description="case id (an authority for CalendarChanged)")
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(_JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CaseFact(SQLModel, table=True):
    """Derived: one row per case, from its events (the projection's output, never edited)."""

    __tablename__ = "insight_case_facts"  # unique across services: tests share one metadata

    case_id: str = Field(primary_key=True, max_length=64)
    authority: str | None = Field(default=None, index=True)
    board: str | None = Field(default=None, index=True)
    school_ref: str | None = None
    fei_ref: str | None = None
    deciding_body: str | None = None
    referral_source: str | None = None
    referral_kind: str | None = None
    received_on: date | None = None
    decided_on: date | None = None
    has_aln: bool | None = None
    idp_issued_on: date | None = None
    idp_maintainer: str | None = Field(default=None, description="school | la | fei")
    idp_ceased_on: date | None = None
    # Dates (ISO) of each, so a period can count them; outcomes as `<date>|<outcome>`.
    reconsiderations: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    # Days the authority decided a reconsideration (its clock met).
    reconsiderations_decided: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    # How each decided reconsideration came out (the authority's AlnDecided): `<date>|aln`.
    reconsideration_outcomes: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    disagreements: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    disagreement_outcomes: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    appeals_lodged: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    appeal_outcomes: list[str] = Field(default_factory=list, sa_column=Column(_JSON))
    closed_on: date | None = None
    # Codes of the latest referral that gave them (ReferralReceived, CaseOpened v2), and the
    # day that referral was received: a year group moves up each 1 September.
    year_group: str | None = None
    year_group_on: date | None = None
    language_of_education: str | None = None
    # The plan's provision as last issued or reviewed (IdpIssued, IdpReviewed v2): counts.
    provision_items: int | None = None
    provision_items_in_welsh: int | None = None


class ClockFact(SQLModel, table=True):
    """Derived: one statutory clock of a case (a rule may run more than once: `n` counts)."""

    __tablename__ = "insight_clock_facts"

    id: str = Field(primary_key=True, max_length=200)
    case_id: str = Field(index=True, max_length=64)
    rule: str = Field(index=True)
    request_id: str | None = None
    n: int = 1
    authority: str | None = Field(default=None, index=True)
    board: str | None = Field(default=None, index=True)
    school_ref: str | None = None
    fei_ref: str | None = None
    start: date
    due: date | None = Field(default=None, description="the latest due date (none: lifted)")
    met_on: date | None = None
    met_due: date | None = Field(default=None, description="due when met (none: limit lifted)")
    ended_on: date | None = Field(default=None, description="stopped unmet: withdrawn or closed")
    state: str = Field(default="running", description="running | paused | lifted | met | ended")
    breached_on: date | None = Field(default=None, description="due date a breach was raised on")
    exceptions: list[str] = Field(
        default_factory=list,
        sa_column=Column(_JSON),
        description="`<change>:<reason>` of each pause or lift",
    )
