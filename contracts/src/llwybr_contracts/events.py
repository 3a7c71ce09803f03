"""The event catalogue (docs/events.md) as code: one versioned pydantic payload per event.

Payloads are thin and pseudonymous: ids, codes and dates only. Names, dates of birth, free
text and health details never travel on Kafka (docs/rules.md#privacy).
"""

import re
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from llwybr_contracts import topics
from llwybr_contracts.learner_codes import LanguageOfEducation, YearGroup
from llwybr_contracts.states import CaseState, DecidingBody

OnsCode = str  # W06... an authority, W11... a health board


class Event(BaseModel):
    """Base of every payload. `topic` and `name` place it in the catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: ClassVar[str]
    version: ClassVar[int] = 1
    abstract: ClassVar[bool] = True  # a base, not an event of the catalogue

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = cls.__dict__.get("abstract", False)

    @classmethod
    def event_name(cls) -> str:
        # A later version of an event is a subclass named `<Event>V<n>` (version = n) that
        # adds fields: the same event by name, a new CloudEvents type. Consumers written for
        # version 1 read it as version 1 (llwybr_common.kafka dispatches along the classes).
        return re.sub(r"V[0-9]+$", "", cls.__name__)

    @classmethod
    def cloudevent_type(cls) -> str:
        # `wales.aln.<topic's middle segment>.<event in kebab case>.v<version>`
        middle = cls.topic.split(".")[1]
        kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", cls.event_name()).lower()
        return f"wales.aln.{middle}.{kebab}.v{cls.version}"


class CaseEvent(Event):
    abstract: ClassVar[bool] = True
    case_id: str = Field(min_length=1, max_length=64)


# --- aln.referral.v1 (referral) --------------------------------------------------------------
class ReferralReceived(CaseEvent):
    topic: ClassVar[str] = topics.REFERRAL
    referral_id: str
    child_ref: str
    source: str
    kind: str
    received_on: date
    authority: OnsCode


class CaseOpened(CaseEvent):
    topic: ClassVar[str] = topics.REFERRAL
    child_ref: str
    authority: OnsCode
    received_on: date
    state: CaseState
    deciding_body: DecidingBody | None = None
    deciding_authority: OnsCode | None = None
    school_ref: str | None = None
    first_rule: str | None = Field(None, description="the clock routing chose")
    clock_start: date | None = Field(None, description="its start (consent date for a YP)")


class LearnerCodes(BaseModel):
    """Version 2 of `ReferralReceived` and `CaseOpened`: where the learner is in education when
    referred, as codes (the statutory figures by year group and language of education)."""

    year_group: YearGroup = Field(description="National Curriculum year group, none or unknown")
    language_of_education: LanguageOfEducation = Field(
        description="welsh-medium, bilingual, dual-stream, english-medium or unknown"
    )


class ReferralReceivedV2(LearnerCodes, ReferralReceived):
    version: ClassVar[int] = 2


class CaseOpenedV2(LearnerCodes, CaseOpened):
    version: ClassVar[int] = 2


class CaseRouted(CaseEvent):
    topic: ClassVar[str] = topics.REFERRAL
    deciding_body: DecidingBody
    deciding_authority: OnsCode | None = None
    school_ref: str | None = None
    reason: str = Field(description="routing rule code, e.g. under-compulsory-school-age")


class CaseRoutedV2(CaseRouted):
    """Version 2: the further education institution that decides, by UKPRN (Act s.11): it
    decides for its student and maintains the plan, so the idp service and the figures need it."""

    version: ClassVar[int] = 2
    institution: str | None = Field(None, description="the deciding FEI's UKPRN, when an FEI")


class ConsentRecorded(CaseEvent):
    topic: ClassVar[str] = topics.REFERRAL
    answer: Literal["given", "refused", "pending"]
    given_on: date | None = None


# --- aln.journey.v1 (workflows) --------------------------------------------------------------
class JourneyStarted(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    workflow_id: str
    state: CaseState
    authority: OnsCode | None = None


class StateChanged(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    state: CaseState
    previous: CaseState | None = None
    on: date


class AlnDecided(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    has_aln: bool
    deciding_body: DecidingBody
    decided_on: date


class ReferredToLa(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    authority: OnsCode
    referred_on: date


class ClockEvent(CaseEvent):
    abstract: ClassVar[bool] = True
    rule: str
    due: date | None
    calendar_version: str | None = None
    request_id: str | None = Field(
        None, description="the s.20 request a health-response clock times"
    )


class ClockStarted(ClockEvent):
    topic: ClassVar[str] = topics.JOURNEY
    start: date


class ClockChanged(ClockEvent):
    topic: ClassVar[str] = topics.JOURNEY
    change: Literal["paused", "resumed", "lifted", "recomputed"]
    reason: str | None = None
    previous_due: date | None = None


class ClockMet(ClockEvent):
    topic: ClassVar[str] = topics.JOURNEY
    met_on: date


class DeadlineEvent(CaseEvent):
    abstract: ClassVar[bool] = True
    rule: str
    due: date
    request_id: str | None = Field(
        None, description="the s.20 request a health-response clock times"
    )
    escalation_level: int = 0
    alert_role: str = Field(description="role to alert, e.g. la-manager")
    alert_scope: str = Field(description="scope of that role, e.g. la:W06000015")


class DeadlineAtRisk(DeadlineEvent):
    topic: ClassVar[str] = topics.JOURNEY


class DeadlineDue(DeadlineEvent):
    topic: ClassVar[str] = topics.JOURNEY


class DeadlineBreached(DeadlineEvent):
    topic: ClassVar[str] = topics.JOURNEY


class DeadlineEscalated(DeadlineEvent):
    topic: ClassVar[str] = topics.JOURNEY


class HealthInputRequested(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    request_id: str
    authority: OnsCode = Field(description="the learner's home authority; its board answers")
    start: date = Field(description="receipt date by the NHS body (Act s.88(6))")
    due: date | None = Field(None, description="the health-response due date the journey computed")


class HealthInputWithdrawn(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    request_id: str
    withdrawn_on: date


class AppealWindowOpened(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    notice_given_on: date
    due: date


class CaseClosed(CaseEvent):
    topic: ClassVar[str] = topics.JOURNEY
    reason: str
    closed_on: date


class CalendarChanged(Event):
    """Keyed by the authority's ONS code, not a case id."""

    topic: ClassVar[str] = topics.JOURNEY
    authority: OnsCode
    school_ref: str | None = None
    calendar_version: str


# --- aln.health.v1 (health-liaison) ----------------------------------------------------------
class HealthInputReceived(CaseEvent):
    topic: ClassVar[str] = topics.HEALTH
    request_id: str
    outcome: Literal["service-identified", "no-service"]
    welsh_delivery: bool | None = None
    answered_on: date


class HealthInputImpractical(CaseEvent):
    topic: ClassVar[str] = topics.HEALTH
    request_id: str
    recorded_on: date


# --- aln.idp.v1 (idp) ------------------------------------------------------------------------
class IdpEvent(CaseEvent):
    abstract: ClassVar[bool] = True
    topic: ClassVar[str] = topics.IDP
    idp_id: str
    on: date


class IdpDrafted(IdpEvent):
    pass


class IdpIssued(IdpEvent):
    pass


class IdpReviewed(IdpEvent):
    revised: bool = False


class ProvisionCounts(BaseModel):
    """Version 2 of `IdpIssued` and `IdpReviewed`: the plan's provision as it then stands, as
    counts (Act s.10: each item says whether it is to be provided in Welsh)."""

    provision_items: int = Field(ge=0, description="items of provision in the plan")
    provision_items_in_welsh: int = Field(ge=0, description="of them, to be provided in Welsh")


class IdpIssuedV2(ProvisionCounts, IdpIssued):
    version: ClassVar[int] = 2


class IdpReviewedV2(ProvisionCounts, IdpReviewed):
    version: ClassVar[int] = 2


class IdpTransferred(IdpEvent):
    to_body: str


class IdpCeased(IdpEvent):
    reason: str


# --- aln.advocacy.v1 (advocacy) --------------------------------------------------------------
class AdvocacyHandoffAccepted(CaseEvent):
    topic: ClassVar[str] = topics.ADVOCACY
    provider: str
    accepted_on: date


class DisagreementRaised(CaseEvent):
    topic: ClassVar[str] = topics.ADVOCACY
    raised_on: date
    disagreement_resolution: bool = True


class DisagreementConcluded(CaseEvent):
    """How the authority's disagreement resolution arrangements (Act s.68) ended for a case:
    a code, never the substance of the disagreement."""

    topic: ClassVar[str] = topics.ADVOCACY
    outcome: Literal["resolved", "not-resolved", "withdrawn"]
    concluded_on: date


class AppealLodged(CaseEvent):
    topic: ClassVar[str] = topics.ADVOCACY
    lodged_on: date


class AppealDecided(CaseEvent):
    topic: ClassVar[str] = topics.ADVOCACY
    decided_on: date
    outcome: str


# --- aln.notifications.v1 (notifications) ----------------------------------------------------
class NotificationDelivered(CaseEvent):
    topic: ClassVar[str] = topics.NOTIFICATIONS
    notification_id: str
    channel: Literal["email", "in-app"]
    language: Literal["cy", "en"]
    delivered_at: datetime


class NotificationFailed(CaseEvent):
    topic: ClassVar[str] = topics.NOTIFICATIONS
    notification_id: str
    channel: Literal["email", "in-app"]
    reason: str


def _catalogue() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    stack: list[type[Event]] = [Event]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if not sub.abstract:
                found[sub.cloudevent_type()] = sub
    return found


# CloudEvents `type` -> payload class; every concrete event of the catalogue.
CATALOGUE: dict[str, type[Event]] = _catalogue()


def payload_class(event_type: str) -> type[Event] | None:
    return CATALOGUE.get(event_type)
