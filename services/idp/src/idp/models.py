"""Tables and bodies of the idp service. Request bodies are `XCreate`, response bodies `XPublic`,
a page of them `XPage` (the same names in every service).

An `Idp` is one learner's Individual Development Plan in the standard form (Act s.10; the
Code's mandatory form, docs/rules.md section 6): administration, the one-page profile, the
description of the ALN, and provision items, each with a measurable outcome. The working copy is
edited section by section (every change kept with its author and reason in `IdpChange`); issuing
freezes it as an `IdpVersion`, which stays readable for ever. The learner is named by case and
child reference only: personal details stay in the referral service.

`CaseFacts` is this service's projection of the case from the referral and journey events: who
decides, for which authority or school, and whether ALN was decided (a draft needs it).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField
from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class IdpState(StrEnum):
    DRAFT = "draft"  # never issued
    ACTIVE = "active"  # issued; the working copy may hold changes for the next version
    CEASED = "ceased"


class Section(StrEnum):
    PROFILE = "profile"
    ALN_DESCRIPTION = "aln-description"
    ADMINISTRATION = "administration"


def _ts() -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CaseFacts(SQLModel, table=True):
    """What the referral and journey events say about a case (ids, codes and dates only)."""

    __tablename__ = (
        "case_facts"  # not "cases": every service's tables share one SQLModel metadata in the tests
    )

    case_id: str = Field(primary_key=True, max_length=64)
    child_ref: str | None = None
    authority: str | None = Field(default=None, description="home authority (ONS W06...)")
    deciding_body: str | None = Field(default=None, description="school, local-authority or fei")
    deciding_authority: str | None = None
    school_ref: str | None = None
    institution: str | None = Field(default=None, description="the deciding FEI's UKPRN (s.11)")
    has_aln: bool | None = None
    aln_decided_on: date | None = None
    updated_at: datetime = _ts()

    @property
    def owning_authority(self) -> str | None:
        return self.deciding_authority or self.authority


class HealthAnswer(SQLModel, table=True):
    """A board's s.20 answer naming a service (Act s.21(3)-(4)): written into the case's plan
    as soon as there is one."""

    __tablename__ = "health_answers"

    request_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    board: str | None = Field(default=None, description="the NHS body (ONS W11...)")
    welsh_delivery: bool | None = None
    answered_on: date
    item_id: str | None = Field(default=None, description="the provision item it became")


class Idp(SQLModel, table=True):
    __tablename__ = "idps"

    idp_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(unique=True, max_length=64)
    child_ref: str | None = None
    state: str = Field(default=IdpState.DRAFT, index=True)
    version: int = Field(default=0, description="the last issued version; 0 for a draft")
    first_issued_on: date | None = None
    last_issued_on: date | None = None
    # Who maintains the plan: `school:<ref>`, `la:<ONS code>` or `fei:<ref>` (Act s.11, s.14, s.35).
    maintainer: str = Field(index=True)
    maintainer_reason: str = Field(description="why this body maintains it (a code)")
    authority: str = Field(index=True, description="the authority whose officers oversee it")
    deciding_body: str
    content_language: str = Field(default="en", description="what the content is written in")
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    aln_description: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False)
    )
    administration: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False)
    )
    review_due: date | None = Field(default=None, index=True, description="the idp-review clock")
    review_at_risk: bool = False
    cease_proposed_on: date | None = None
    cease_reason: str | None = None
    cease_detail: str | None = None
    ceased_on: date | None = None
    change_seq: int = 0
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ProvisionItem(SQLModel, table=True):
    """One piece of additional learning provision with the outcome it serves (Act s.10(2))."""

    __tablename__ = "provision_items"

    item_id: str = Field(primary_key=True, max_length=64)
    idp_id: str = Field(index=True, max_length=64)
    position: int = 0
    outcome: str = ""
    measure: str | None = None
    baseline: str | None = None
    target: str | None = None
    outcome_date: date | None = None
    provision: str = ""
    frequency: str | None = None
    duration: str | None = None
    group_size: str | None = None
    welsh_delivery: bool = False
    deliverer: str = Field(description="school, la, or nhs:<board ONS code>")
    start_date: date | None = None
    review_date: date | None = None
    rationale: str | None = None
    # From a board's s.20 answer: the author still has to describe it (Act s.21(4)).
    needs_completion: bool = False
    health_request_id: str | None = None
    welsh_delivery_advice: bool | None = Field(default=None, description="the board's s.21 advice")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class IdpChange(SQLModel, table=True):
    """One change to the working copy: who, what, why, before and after."""

    __tablename__ = "idp_changes"
    __table_args__ = (UniqueConstraint("idp_id", "seq"),)

    id: str = Field(primary_key=True, max_length=64)
    idp_id: str = Field(index=True, max_length=64)
    seq: int
    version: int = Field(description="the version this change will be part of")
    at: datetime = _ts()
    author: str
    reason: str | None = None
    target: str = Field(description="a section, or provision:<item id>")
    action: str = Field(description="create, update, delete")
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))


class IdpVersion(SQLModel, table=True):
    """An issued plan, frozen: exactly what the family was given."""

    __tablename__ = "idp_versions"

    idp_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    issued_on: date
    issued_by: str
    reason: str | None = None
    content: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    flagged_outcomes: int = 0
    created_at: datetime = _ts()


class IdpEventRecord(SQLModel, table=True):
    """Reviews, transfers and the cease steps, as held (Act ss.23-24, s.31, s.35)."""

    __tablename__ = "idp_records"

    id: str = Field(primary_key=True, max_length=64)
    idp_id: str = Field(index=True, max_length=64)
    kind: str = Field(description="review, transfer, cease-proposal, cease-decision")
    on: date
    by: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _ts()


# --- HTTP bodies ------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftCreate(Strict):
    content_language: Literal["cy", "en", "both"] = "en"


class DraftPublic(BaseModel):
    idp_id: str
    version: int
    state: str


class SectionUpdate(Strict):
    """A section's new content; `reason` says why it changed (kept with the change)."""

    content: dict[str, Any]
    reason: str | None = PydField(None, max_length=2000)


class ProvisionCreate(Strict):
    outcome: str = PydField(min_length=1, max_length=5000)
    measure: str | None = PydField(None, max_length=2000)
    baseline: str | None = PydField(None, max_length=2000)
    target: str | None = PydField(None, max_length=2000)
    outcome_date: date | None = None
    provision: str = PydField(min_length=1, max_length=5000)
    frequency: str | None = PydField(None, max_length=500)
    duration: str | None = PydField(None, max_length=500)
    group_size: str | None = PydField(None, max_length=200)
    welsh_delivery: bool = False
    deliverer: str = PydField(pattern=r"^(school|la|nhs:W11\d{6})$")
    start_date: date | None = None
    review_date: date | None = None
    rationale: str | None = PydField(None, max_length=5000)
    reason: str | None = PydField(None, max_length=2000)


class FlagPublic(BaseModel):
    code: str
    cy: str
    en: str


class ProvisionPublic(BaseModel):
    item_id: str
    outcome: str
    measure: str | None
    baseline: str | None
    target: str | None
    outcome_date: date | None
    provision: str
    frequency: str | None
    duration: str | None
    group_size: str | None
    welsh_delivery: bool
    deliverer: str
    start_date: date | None
    review_date: date | None
    rationale: str | None
    needs_completion: bool
    welsh_delivery_advice: bool | None
    flags: list[FlagPublic]


class IssueCreate(Strict):
    issued_on: date | None = None
    reason: str | None = PydField(None, max_length=2000)


class IssuedPublic(BaseModel):
    idp_id: str
    version: int
    issued_on: date


class IdpPublic(BaseModel):
    idp_id: str
    case_id: str
    child_ref: str | None
    state: str
    version: int
    maintainer: str
    maintainer_reason: str
    authority: str
    content_language: str
    first_issued_on: date | None
    last_issued_on: date | None
    review_due: date | None
    review_at_risk: bool
    cease_proposed_on: date | None
    cease_reason: str | None
    ceased_on: date | None
    profile: dict[str, Any]
    aln_description: dict[str, Any]
    administration: dict[str, Any]
    provision: list[ProvisionPublic]
    flagged_outcomes: int
    unissued_changes: int


class ChangePublic(BaseModel):
    seq: int
    at: datetime
    author: str
    reason: str | None
    target: str
    action: str


class VersionPublic(BaseModel):
    idp_id: str
    version: int
    issued_on: date
    issued_by: str
    reason: str | None
    content: dict[str, Any]
    flagged_outcomes: int
    changes: list[ChangePublic]
    diff: list[dict[str, Any]]


class ReviewCreate(Strict):
    """A review held (Act ss.23-24): when, whether the plan was revised, what changed."""

    held_on: date
    revised: bool = False
    changes: str | None = PydField(None, max_length=20_000)


class TransferCreate(Strict):
    """A move to another school, FEI or authority (Act s.35; Regs reg 15)."""

    to_body: str = PydField(pattern=r"^(school|fei):[A-Za-z0-9-]{1,32}$|^la:W06\d{6}$")
    on: date
    left_on: date | None = PydField(None, description="left the old school (the summer rule)")
    registered_on: date | None = PydField(None, description="registered at the new one")
    reason: str | None = PydField(None, max_length=2000)


CeaseReason = Literal["left", "no-longer-aln", "looked-after", "not-necessary"]


class CeaseProposalCreate(Strict):
    """The proposed decision to cease (Act s.31), with its reason."""

    reason: CeaseReason
    detail: str = PydField(min_length=1, max_length=20_000)
    proposed_on: date


class CeaseDecisionCreate(Strict):
    decision: Literal["cease", "continue"]
    decided_on: date
    reasons: str = PydField(min_length=1, max_length=20_000)


class RecordPublic(BaseModel):
    idp_id: str
    kind: str
    on: date
    state: str
    maintainer: str
    version: int


class IdpListItem(BaseModel):
    idp_id: str
    case_id: str
    child_ref: str | None
    state: str
    version: int
    maintainer: str
    review_due: date | None
    review_at_risk: bool
    flagged_outcomes: int


class IdpPage(BaseModel):
    items: list[IdpListItem]
