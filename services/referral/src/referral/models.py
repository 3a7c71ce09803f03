"""Tables of the referral service. Identity and free text live here and only here; events
and the journey carry the case id and the pseudonymous child reference."""

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False)


class Child(SQLModel, table=True):
    __tablename__ = "children"

    id: str = Field(primary_key=True)
    child_ref: str = Field(unique=True, description="pseudonymous reference used in events")
    given_name: str
    family_name: str
    date_of_birth: date
    upn: str | None = Field(default=None, index=True)
    nhs_number: str | None = Field(default=None, index=True)
    language_of_education: str | None = None
    preferred_language: str = "en"
    # Who the decision notices go to (Act s.9, s.68-70): the parent, or the young person; and
    # for a looked-after child their independent reviewing officer. Read by claim-check only.
    contact_name: str | None = None
    contact_email: str | None = None
    iro_email: str | None = None
    match_key: str = Field(index=True, description="casefolded names + date of birth")


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_next_due", "next_due", "id"),)

    id: str = Field(primary_key=True)
    child_id: str = Field(foreign_key="children.id", index=True)
    authority: str = Field(index=True, description="home authority")
    school_ref: str | None = Field(default=None, index=True)
    school_name: str | None = None
    looked_after: bool = False
    looking_after_authority: str | None = None
    dual_registered: bool = False
    stage: str
    state: str = Field(index=True)
    deciding_body: str
    deciding_authority: str | None = Field(default=None, index=True)
    routing_reason: str
    first_rule: str | None = None
    clock_start: date | None = None
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    next_rule: str | None = None
    next_due: date | None = None
    # The FEI that decides for its student (deciding body `fei`, Act s.11), by UKPRN
    institution_ukprn: str | None = Field(default=None, index=True)
    institution_name: str | None = None
    detained: bool = False  # in youth detention at intake (Act ss.39-56)
    opened_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    source: str
    referral_type: str = "concern"
    received_on: date
    concern: str
    referrer_name: str | None = None
    referrer_role: str | None = None
    submitted_by: str
    referring_board: str | None = Field(
        default=None,
        description="ONS code of the board whose DECLO or clinician gave a s.64 notice",
    )
    attached: bool = False
    created_at: datetime = Field(sa_column=_ts())
    # Codes given with this referral (llwybr_contracts.learner_codes), carried by its events.
    year_group: str = "unknown"
    language_of_education: str = "unknown"


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consents"

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    status: str
    on: date | None = None
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_ts())


class CaseNote(SQLModel, table=True):
    """Free text that goes with a command (a decision, an exception, a health request)."""

    __tablename__ = "case_notes"

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    command: str
    subject_id: str | None = Field(default=None, description="request or exception id")
    text: str
    written_by: str
    written_at: datetime = Field(sa_column=_ts())


class CaseClock(SQLModel, table=True):
    """Projection of the journey's clock events, for the case list."""

    __tablename__ = "case_clocks"
    __table_args__ = (UniqueConstraint("case_id", "rule", "subject"),)

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    rule: str
    subject: str = Field(default="", description="request id for health-response, else ''")
    start: date | None = None
    due: date | None = None
    status: str = "running"  # running | paused | lifted | met
    met_on: date | None = None
    calendar_version: str | None = None


class CaseHealthAnswer(SQLModel, table=True):
    """Projection of a board's s.20 answer (`HealthInputReceived`): the outcome code, the
    Welsh-delivery advice and the date, never the service named or the notes (Act s.21)."""

    __tablename__ = "case_health_answers"

    request_id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    outcome: str = Field(description="service-identified | no-service")
    welsh_delivery: bool | None = None
    answered_on: date


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "case_timeline"

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    at: datetime = Field(sa_column=_ts())
    kind: str
    detail: str = ""
    event_id: str | None = None
