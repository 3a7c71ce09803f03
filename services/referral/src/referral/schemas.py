"""Request and response bodies of the case API. What a caller sends is `XCreate`, what it
gets back `XPublic`, a list of them `XPage` (the same names in every service); the JSON field
names are the contract and never change with the class names."""

import datetime as dt
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llwybr_contracts.journey import ClockView, ReasonCode
from llwybr_contracts.learner_codes import LANGUAGE_SYNONYMS, LanguageOfEducation, YearGroup


class Source(StrEnum):
    PARENT = "parent"
    SCHOOL = "school"
    EARLY_YEARS_SETTING = "early-years-setting"
    HEALTH_BODY = "health-body"
    YOUNG_PERSON = "young-person"
    SOCIAL_SERVICES = "social-services"
    LOCAL_AUTHORITY = "local-authority"


class ReferralType(StrEnum):
    CONCERN = "concern"
    SCHOOL_REFERRAL_TO_LA = "school-referral-to-la"
    DIRECT_REQUEST = "direct-request"
    HEALTH_NOTICE_S64 = "health-notice-s64"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LearnerConsentCreate(Strict):
    status: Literal["given", "refused", "pending"]
    date: dt.date | None = Field(None, description="required when status is given")


class LearnerCreate(Strict):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    upn: str | None = Field(None, description="Unique Pupil Number, with its check letter")
    nhs_number: str | None = Field(None, description="10 digits, with its check digit")
    language_of_education: LanguageOfEducation | None = Field(
        None,
        description="welsh-medium, bilingual, dual-stream, english-medium or unknown "
        "(the first values welsh and english are still read as welsh-medium, english-medium)",
    )
    preferred_language: Literal["cy", "en", "both"] = "en"
    looked_after: bool = False
    looking_after_authority: str | None = Field(None, description="ONS code or name")
    dual_registered: bool = False
    consent: LearnerConsentCreate | None = Field(None, description="required for a young person")
    detained: bool = Field(
        False, description="in youth detention: the home authority's duties (Act ss.39-56)"
    )
    year_group: YearGroup = Field(
        YearGroup.UNKNOWN,
        description="National Curriculum year group N1, N2, R, Y1-Y14; none outside school",
    )

    @field_validator("language_of_education", mode="before")
    @classmethod
    def _first_language_codes(cls, value: object) -> object:
        return LANGUAGE_SYNONYMS.get(value, value) if isinstance(value, str) else value


class SchoolCreate(Strict):
    ref: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, max_length=200)


class InstitutionCreate(Strict):
    """The further education institution the learner is a student at, in place of `school`:
    it decides and maintains for its students (Act s.11)."""

    name: str | None = Field(None, max_length=200)
    ukprn: str = Field(description="UK Provider Reference Number: 8 digits, from the register")


class ReferrerCreate(Strict):
    name: str | None = Field(None, max_length=200)
    role: str | None = Field(None, max_length=100)


class FamilyContactCreate(Strict):
    """Who decision notices go to: the parent, or the young person themself."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)


class FamilyContactPublic(BaseModel):
    name: str
    email: str


class ReferralCreate(Strict):
    source: Source
    referral_type: ReferralType = ReferralType.CONCERN
    received_on: date = Field(description="when the matter came to attention; may be in the past")
    learner: LearnerCreate
    authority: str = Field(min_length=2, description="home authority: ONS code or name")
    school: SchoolCreate | None = None
    concern: str = Field(min_length=1, max_length=20_000)
    referrer: ReferrerCreate | None = None
    attach_to_open_case: bool = Field(
        False, description="attach to the learner's open case as new information"
    )
    family_contact: FamilyContactCreate | None = Field(
        None, description="where decision notices go: the parent, or the young person"
    )
    iro_email: str | None = Field(
        None, max_length=320, description="a looked-after child's independent reviewing officer"
    )
    institution: InstitutionCreate | None = Field(
        None, description="the FEI the learner is a student at (instead of `school`)"
    )


class FirstClockPublic(BaseModel):
    rule: str | None
    due: date | None
    why_null: str | None = None
    assumed: bool = Field(
        False, description="the date rests on an assumed rule or convention (docs/rules.md)"
    )


class ReferralPublic(BaseModel):
    case_id: str
    referral_id: str
    attached: bool = False
    state: str
    deciding_body: str
    deciding_authority: str | None
    routing_reason: str
    flags: list[str]
    clock: FirstClockPublic
    deciding_institution: str | None = Field(None, description="the FEI's UKPRN (body `fei`)")


class ClockBriefPublic(BaseModel):
    """An open clock in the case list (from the projection of the journey's clock events)."""

    rule: str
    subject: str | None = Field(None, description="the health request id of its clock")
    due: date | None = Field(description="None while paused")
    status: Literal["running", "paused", "closed"] = Field(
        description="closed: a party's window (an appeal, a review application) past its date,"
        " in which nobody is late (docs/rules.md#windows)"
    )
    at_risk: bool = Field(description="the journey has warned that this due date is near")


class CasePublic(BaseModel):
    case_id: str
    child_ref: str
    authority: str
    school_ref: str | None
    state: str
    deciding_body: str
    deciding_authority: str | None
    next_rule: str | None
    next_due: date | None
    overdue: bool
    flags: list[str]
    open_clocks: list[ClockBriefPublic] = Field(
        default_factory=list, description="in the case list: its open clocks, soonest first"
    )
    deciding_institution: str | None = Field(None, description="the FEI's UKPRN (body `fei`)")
    detained: bool = Field(False, description="in youth detention at intake (Act ss.39-56)")


class CasePage(BaseModel):
    items: list[CasePublic]
    next: str | None


class LearnerPublic(BaseModel):
    given_name: str
    family_name: str
    date_of_birth: date
    upn: str | None
    nhs_number: str | None
    language_of_education: str | None
    preferred_language: str


class TimelineEntryPublic(BaseModel):
    at: str
    kind: str
    detail: str


class HealthAnswerPublic(BaseModel):
    """A board's answer to a s.20 request (Act s.21), from its `HealthInputReceived` event."""

    request_id: str
    service_identified: bool = Field(description="a relevant treatment or service identified")
    welsh_delivery: bool | None = Field(description="whether it should be provided in Welsh")
    answered_on: date


class CaseDetailPublic(CasePublic):
    learner: LearnerPublic
    looked_after: bool
    looking_after_authority: str | None
    dual_registered: bool
    family_contact: FamilyContactPublic | None = None
    iro_email: str | None = None
    routing_reason: str
    clocks: list[ClockView]
    clocks_source: Literal["journey", "projection"]
    timeline: list[TimelineEntryPublic]
    health_answers: list[HealthAnswerPublic] = Field(
        default_factory=list, description="the boards' s.20 answers, from the events"
    )


class LearnerClaimPublic(BaseModel):
    """What another service may fetch with its own credentials (claim-check)."""

    case_id: str
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str | None


class NoticeContactsPublic(BaseModel):
    """Where a case's decision notices go, for the notifications service (claim-check)."""

    preferred_language: str
    family: FamilyContactPublic | None
    iro_email: str | None
    looked_after: bool


# --- commands ----------------------------------------------------------------------------


class DecisionCreate(Strict):
    outcome: Literal["aln", "no-aln"]
    decided_on: date
    notice_given_on: date | None = None
    note: str | None = Field(None, max_length=20_000)


class ReferralToLaCreate(Strict):
    referred_on: date
    note: str | None = Field(None, max_length=20_000)


class HealthRequestCreate(Strict):
    reason: str = Field(min_length=1, max_length=20_000)
    sent_on: date | None = Field(
        None,
        description="the day the request was sent, when recorded afterwards (default today; "
        "the board's 6 weeks run from it, Act s.88(6)); never in the future",
    )


class HealthRequestAcceptedPublic(BaseModel):
    request_id: str


class HealthRequestClaimPublic(BaseModel):
    """The reason for a s.20 referral, for the health board's service (claim-check)."""

    case_id: str
    request_id: str
    reason: str


class WithdrawalCreate(Strict):
    on: date | None = None
    note: str | None = Field(None, max_length=20_000)


class ExceptionCreate(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: Literal["pause", "resume", "lift"]
    rule: str
    reason: ReasonCode
    from_: date = Field(alias="from")
    until: date | None = None
    note: str | None = Field(None, max_length=20_000)


class ConsentCreate(Strict):
    status: Literal["given", "refused"]
    date: dt.date


class ReviewRequestCreate(Strict):
    requested_on: date
    requested_by: Literal["family", "young-person", "nhs-body", "school", "local-authority"]
    note: str | None = Field(None, max_length=20_000)


class ReconsiderationCreate(Strict):
    kind: Literal["decision", "idp", "cease"]
    received_on: date
    note: str | None = Field(None, max_length=20_000)


class CommandPublic(BaseModel):
    case_id: str
    accepted: bool = True
    state: str
    detail: str = ""
    request_id: str | None = None


class ReleaseCreate(Strict):
    """A detained learner's release (Act ss.39-56; Regs reg 18)."""

    released_on: date = Field(description="the day the release came to the home LA's attention")
    note: str | None = Field(None, max_length=20_000)


class TribunalReviewCreate(Strict):
    """A party asked the Education Tribunal to review its decision (ETW Regs reg 53)."""

    requested_on: date
    requested_by: Literal["family", "young-person", "local-authority", "fei"]
    note: str | None = Field(None, max_length=20_000)


class FeiTakeoverCreate(Strict):
    """The LA asks an FEI to take over the IDP it maintains (Regs reg 13)."""

    ukprn: str = Field(description="the FEI asked, by UKPRN, from the register")
    received_on: date = Field(description="the day the FEI received the request")
    note: str | None = Field(None, max_length=20_000)


class FeiTakeoverAnswerCreate(Strict):
    """The FEI's answer, as the LA records it."""

    answer: Literal["agreed", "declined"]
    answered_on: date
    note: str | None = Field(None, max_length=20_000)
