"""The journey's interface: what starts an `IdpJourney`, the commands the case API sends as
Temporal updates, and what its `status` query answers.

Everything here sits in Temporal histories and the UI: ids, codes and dates only, never names
or free text (free text stays in the service that recorded it).
"""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llwybr_contracts.states import CaseState, DecidingBody

JOURNEY_WORKFLOW = "IdpJourney"
HEALTH_INPUT_WORKFLOW = "HealthInput"

# Update names (the case API's commands; docs/events.md, one path each).
UPDATE_RECORD_CONSENT = "record_consent"
UPDATE_RECORD_DECISION = "record_decision"
UPDATE_REFER_TO_LA = "refer_to_la"
UPDATE_REQUEST_HEALTH_INPUT = "request_health_input"
UPDATE_WITHDRAW_HEALTH_INPUT = "withdraw_health_input"
UPDATE_RECORD_EXCEPTION = "record_exception"
UPDATE_REQUEST_REVIEW = "request_review"
UPDATE_REQUEST_RECONSIDERATION = "request_reconsideration"
UPDATE_RECORD_RELEASE = "record_release"
UPDATE_REQUEST_TRIBUNAL_REVIEW = "request_tribunal_review"
UPDATE_REQUEST_FEI_TAKEOVER = "request_fei_takeover"
UPDATE_ANSWER_FEI_TAKEOVER = "answer_fei_takeover"
QUERY_STATUS = "status"

ReasonCode = Literal[
    "learner-absent",
    "family-unavailable",
    "awaiting-nhs-response",
    "awaiting-information-outside-control",
    "school-closed-unexpectedly",
    "nhs-impractical",
    "other",
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JourneyInput(_Message):
    case_id: str
    child_ref: str
    authority: str = Field(description="home authority, ONS code")
    received_on: date = Field(description="the date the matter came to attention")
    state: CaseState
    deciding_body: DecidingBody | None = None
    deciding_authority: str | None = None
    school_ref: str | None = None
    first_rule: str | None = Field(
        None, description="the clock routing chose, e.g. school-decision"
    )
    clock_start: date | None = Field(None, description="that clock's start (consent date for a YP)")
    duties_end: date | None = Field(
        None,
        description="31 August of the academic year in which the learner turns 25: the duties"
        " end and the case closes (docs/rules.md s.6, Age); None for journeys started before",
    )
    institution: str | None = Field(
        None, description="the UKPRN of the FEI that decides (deciding body `fei`, Act s.11)"
    )
    detained: bool = Field(False, description="in youth detention at intake (Act ss.39-56)")


class Command(_Message):
    """Base of every update payload: who asked (an id, never a name)."""

    actor: str = Field(min_length=1, description="the caller's subject id")


class RecordConsent(Command):
    answer: Literal["given", "refused"]
    on: date


class RecordDecision(Command):
    outcome: Literal["aln", "no-aln"]
    decided_on: date
    notice_given_on: date | None = Field(
        None, description="the no-ALN notice date; an ALN decision is met by IdpIssued instead"
    )


class ReferToLa(Command):
    referred_on: date
    authority: str


class RequestHealthInput(Command):
    request_id: str
    sent_on: date = Field(description="the NHS body receives it the day it is sent (Act s.88(6))")


class WithdrawHealthInput(Command):
    request_id: str
    on: date


class RecordException(Command):
    exception_id: str
    action: Literal["pause", "resume", "lift"]
    rule: str
    reason: ReasonCode
    from_: date = Field(alias="from")
    until: date | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RequestReview(Command):
    requested_on: date
    requested_by: Literal["family", "young-person", "nhs-body", "school", "local-authority"]


class RequestReconsideration(Command):
    request_id: str
    kind: Literal["decision", "idp", "cease"]
    received_on: date


class RecordRelease(Command):
    """A detained learner's release: the home authority's `detention-release` clock starts."""

    released_on: date


class RequestTribunalReview(Command):
    """A party asked the Tribunal to review its decision (ETW Regs reg 53)."""

    requested_on: date
    requested_by: Literal["family", "young-person", "local-authority", "fei"]


class RequestFeiTakeover(Command):
    """The LA asks an FEI to take over the IDP it maintains (Regs reg 13)."""

    ukprn: str = Field(description="the FEI asked, by UKPRN")
    received_on: date = Field(description="the day the FEI received the request")


class AnswerFeiTakeover(Command):
    """The FEI's answer to that request, as the LA records it."""

    ukprn: str
    answer: Literal["agreed", "declined"]
    answered_on: date


class CommandAccepted(_Message):
    accepted: bool = True
    state: CaseState
    detail: str = ""


class ClockView(_Message):
    rule: str
    start: date
    due: date | None
    status: str
    warnings: list[date] = Field(default_factory=list)
    paused_days: int = 0
    met_on: date | None = None
    days_late: int | None = Field(None, description="met after its due date by these days")
    calendar_version: str | None = None
    assumed: bool = False
    illustrative_calendar: bool = False
    subject: str | None = Field(None, description="e.g. the health request id of its clock")


class TimelineEntry(_Message):
    on: date
    kind: str
    detail: str = Field("", description="codes and ids only")


class JourneyStatus(_Message):
    case_id: str
    state: CaseState
    deciding_body: DecidingBody | None = None
    deciding_authority: str | None = None
    clocks: list[ClockView] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    events_published: int = 0


# --- Signals: facts from other contexts, through the journey bridge (docs/events.md, one path each).
# Each carries the fact's event id, so the journey ignores one it has already seen (a bounded
# set carried across continue-as-new).
SIGNAL_IDP_ISSUED = "idp_issued"
SIGNAL_IDP_REVIEWED = "idp_reviewed"
SIGNAL_IDP_TRANSFERRED = "idp_transferred"
SIGNAL_IDP_CEASED = "idp_ceased"
SIGNAL_HEALTH_INPUT_RECEIVED = "health_input_received"  # to the HealthInput child
SIGNAL_HEALTH_INPUT_IMPRACTICAL = "health_input_impractical"  # to the HealthInput child
SIGNAL_HEALTH_INPUT_OUTCOME = "health_input_outcome"  # child -> parent journey
SIGNAL_DISAGREEMENT_RAISED = "disagreement_raised"
SIGNAL_APPEAL_LODGED = "appeal_lodged"
SIGNAL_APPEAL_DECIDED = "appeal_decided"
SIGNAL_CALENDAR_CHANGED = "calendar_changed"
SIGNAL_ADVOCACY_HANDOFF_ACCEPTED = "advocacy_handoff_accepted"
SIGNAL_WITHDRAW_HEALTH_INPUT = "withdraw"  # parent -> HealthInput child


class Fact(_Message):
    """Base of every signal payload: the id of the event that carried the fact."""

    event_id: str = Field(min_length=1)


class IdpIssuedFact(Fact):
    idp_id: str
    on: date = Field(description="the date the IDP copies were given (meets the decision clock)")


class IdpReviewedFact(Fact):
    idp_id: str
    on: date = Field(description="revised plan or no-revision notice given")
    revised: bool = False


class IdpTransferredFact(Fact):
    idp_id: str
    on: date
    to_body: str = Field(description="code of the new body, e.g. school:<ref> or la:<ONS code>")


class IdpCeasedFact(Fact):
    idp_id: str
    on: date = Field(description="the s.31 notices given (the later date if different)")
    reason: str = Field(description="a code: left, no-longer-aln, looked-after, not-necessary")


class HealthInputReceivedFact(Fact):
    request_id: str
    outcome: Literal["service-identified", "no-service"]
    welsh_delivery: bool | None = None
    answered_on: date


class HealthInputImpracticalFact(Fact):
    request_id: str
    recorded_on: date


class HealthInputOutcome(_Message):
    """What a HealthInput child tells its journey when it ends."""

    request_id: str
    outcome: Literal["service-identified", "no-service", "impractical", "withdrawn"]
    on: date
    welsh_delivery: bool | None = None


class DisagreementRaisedFact(Fact):
    raised_on: date
    disagreement_resolution: bool = True


class AppealLodgedFact(Fact):
    lodged_on: date


class AppealDecidedFact(Fact):
    decided_on: date
    outcome: str = Field(description="a code")


class AdvocacyHandoffAcceptedFact(Fact):
    provider: str = Field(description="the provider's scope, e.g. advocacy:snap-cymru")
    accepted_on: date


class CalendarChangedFact(Fact):
    authority: str
    school_ref: str | None = None
    calendar_version: str


class HandoffWatchInput(_Message):
    """What the advocacy service starts `HandoffWatch` with (ids, codes and a date only)."""

    handoff_id: str
    case_id: str
    provider: str = Field(description="the provider's scope, e.g. advocacy:snap-cymru")
    accept_by: date = Field(description="the fifth working day after the offer")
