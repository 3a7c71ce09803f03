"""Tables and schemas of the advocacy service. Request bodies are `XCreate`, response bodies
`XPublic` (the same names in every service).

An `AdvocacyConsent` is the family's recorded consent to share a case with one advocacy
provider (Act s.69; docs/rules.md section 7: a handoff needs the family's recorded consent). An
`AdvocacyHandoff` is a case passed to that provider, accepted with an advocate or declined. A
`Disagreement` is the use of the authority's disagreement resolution arrangements (Act s.68),
an `Appeal` one made to the Education Tribunal for Wales (Act s.70) with its decision and any
order. Each row keeps the case's owning authority and school as the case said when the row
was made, so who may see it is decided here without asking the referral service again.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PydField
from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False)


def _ts_null() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=True)


# What a consent may cover (the three kinds of record).
Share = Literal["decisions-and-clocks", "idp", "decision-notices"]
# Whoever may give consent: the young person for themselves, a parent for a child.
GivenBy = Literal["young-person", "parent"]
HandoffReason = Literal["considering-appeal", "disagreement", "reconsideration"]


class HandoffStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CLOSED = "closed"  # consent withdrawn: the handoff ends with it


class AdvocacyConsent(SQLModel, table=True):
    __tablename__ = "advocacy_consents"

    consent_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    authority: str = Field(index=True, description="the case's owning authority (ONS W06...)")
    school_ref: str | None = Field(default=None, index=True)
    provider: str = Field(index=True, description="e.g. advocacy:snap-cymru")
    given_by: str = Field(description="young-person or parent")
    shares: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    valid_from: date
    valid_until: date | None = None
    evidence_ref: str | None = Field(default=None, description="the provider's record of it")
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime = Field(sa_column=_ts())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_ts_null())
    withdrawn_by: str | None = None


class AdvocacyHandoff(SQLModel, table=True):
    __tablename__ = "advocacy_handoffs"

    handoff_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    authority: str = Field(index=True)
    school_ref: str | None = Field(default=None, index=True)
    provider: str = Field(index=True)
    consent_id: str = Field(index=True, max_length=64)
    reason: str
    status: str = Field(default=HandoffStatus.OFFERED, index=True)
    offered_on: date
    accept_by: date = Field(description="5 working days from the offer; then the lead is told")
    made_by: str
    advocate: str | None = Field(default=None, index=True, description="the assigned advocate")
    accepted_on: date | None = None
    declined_on: date | None = None
    decline_reason: str | None = None
    closed_on: date | None = None
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class Disagreement(SQLModel, table=True):
    __tablename__ = "disagreements"

    disagreement_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    authority: str = Field(index=True)
    school_ref: str | None = None
    about: str = Field(description="decision, idp or other")
    raised_on: date
    disagreement_resolution: bool = Field(description="the LA's arrangements (Act s.68) used")
    outcome: str | None = None
    outcome_on: date | None = None
    recorded_by: str
    created_at: datetime = Field(sa_column=_ts())


class Appeal(SQLModel, table=True):
    __tablename__ = "appeals"

    appeal_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    authority: str = Field(index=True)
    school_ref: str | None = None
    lodged_on: date
    window_due: date | None = Field(default=None, description="the tribunal-appeal due date")
    in_time: bool
    decided_on: date | None = None
    outcome: str | None = None
    order_kind: str | None = None
    order_due: date | None = Field(default=None, description="by when the LA must comply")
    recorded_by: str
    created_at: datetime = Field(sa_column=_ts())


# --- HTTP bodies ------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = {"extra": "forbid"}


class ConsentCreate(Strict):
    provider: str = PydField(min_length=1, max_length=100, examples=["advocacy:snap-cymru"])
    given_by: GivenBy
    shares: list[Share] = PydField(min_length=1)
    valid_from: date
    valid_until: date | None = None
    evidence_ref: str | None = PydField(
        None, max_length=200, description="required when the provider records it"
    )


class ConsentWithdrawal(Strict):
    on: date | None = PydField(None, description="informational; withdrawal takes effect now")


class HandoffCreate(Strict):
    provider: str = PydField(min_length=1, max_length=100, examples=["advocacy:snap-cymru"])
    reason: HandoffReason


class HandoffAcceptance(Strict):
    advocate: str = PydField(min_length=1, max_length=200, description="the advocate's subject")


class HandoffDecline(Strict):
    reason: str = PydField(min_length=1, max_length=2000)


class DisagreementCreate(Strict):
    raised_on: date
    about: Literal["decision", "idp", "other"]
    disagreement_resolution: bool = True


class DisagreementOutcomeCreate(Strict):
    outcome: Literal["resolved", "not-resolved", "withdrawn"]
    on: date


class AppealCreate(Strict):
    lodged_on: date


OrderKind = Literal["prepare-idp", "revise-idp", "maintain-idp"]


class OrderCreate(Strict):
    kind: OrderKind
    due: date = PydField(description="by when the order binds the authority to comply")


class AppealDecisionCreate(Strict):
    decided_on: date
    outcome: Literal["allowed", "dismissed", "withdrawn", "conceded"]
    order: OrderCreate | None = None


class CreatedPublic(BaseModel):
    """The id of what a POST made (201)."""

    consent_id: str | None = None
    handoff_id: str | None = None
    disagreement_id: str | None = None
    appeal_id: str | None = None


class ClockPublic(BaseModel):
    rule: str
    due: date | None
    status: str
    days_left: int | None = PydField(description="calendar days to the due date")


class Bilingual(BaseModel):
    cy: str
    en: str


class HandoffPublic(BaseModel):
    handoff_id: str
    case_id: str
    provider: str
    provider_name: Bilingual
    reason: str
    status: HandoffStatus
    consent_standing: bool
    offered_on: date
    accept_by: date
    late: bool = PydField(description="still offered after its accept-by date")
    advocate: str | None
    accepted_on: date | None
    declined_on: date | None
    decline_reason: str | None
    clocks: list[ClockPublic] | None = PydField(
        description="the case's open clocks; None when the referral service did not answer "
        "or consent no longer stands"
    )
    appeal_window: ClockPublic | None = PydField(description="the tribunal-appeal clock, if open")


class HandoffPage(BaseModel):
    items: list[HandoffPublic]


class ConsentPublic(BaseModel):
    consent_id: str
    case_id: str
    provider: str
    given_by: str
    shares: list[str]
    valid_from: date
    valid_until: date | None
    evidence_ref: str | None
    standing: bool
    withdrawn_at: datetime | None


class DisagreementPublic(BaseModel):
    disagreement_id: str
    case_id: str
    about: str
    raised_on: date
    disagreement_resolution: bool
    outcome: str | None
    outcome_on: date | None


class AppealPublic(BaseModel):
    appeal_id: str
    case_id: str
    lodged_on: date
    window_due: date | None
    in_time: bool
    decided_on: date | None
    outcome: str | None
    order_kind: str | None
    order_due: date | None


class AdvocateAccessPublic(BaseModel):
    """The service-only answer to "may this advocate read this case now?"."""

    access: Literal["granted", "consent-withdrawn", "consent-expired", "handoff-ended", "none"]
    consent_id: str | None = None
    handoff_id: str | None = None
    shares: list[str] = PydField(default_factory=list)
