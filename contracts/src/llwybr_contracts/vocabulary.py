"""The project's typed vocabulary: statutory rule ids, roles and the reason codes a journey
gives when it refuses a command. One object each, used by the clock, the workflows, the
services and the escalation ladder alike (a bare string in three places drifts apart).

The rule ids and their limits are set out, with the law behind each, in `docs/rules.md`.
"""

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llwybr_contracts.refusal import Refusal as Refusal


class RuleId(StrEnum):
    """Every statutory time limit Llwybr runs, by its stable id (docs/rules.md)."""

    SCHOOL_DECISION = "school-decision"
    LA_DECISION = "la-decision"
    LA_RECONSIDER_DECISION = "la-reconsider-decision"
    LA_RECONSIDER_IDP = "la-reconsider-idp"
    HEALTH_RESPONSE = "health-response"
    CEASE_RECONSIDER_REQUEST = "cease-reconsider-request"
    LA_NOT_NECESSARY = "la-not-necessary"
    DETENTION_RELEASE = "detention-release"
    IDP_REVIEW = "idp-review"
    FEI_TAKEOVER_RESPONSE = "fei-takeover-response"
    TRIBUNAL_APPEAL = "tribunal-appeal"
    TRIBUNAL_REVIEW_APPLICATION = "tribunal-review-application"
    FEI_DECISION = "fei-decision"  # [assumed] docs/rules.md s.1


# A party's own window to act, not a duty anyone owes: the family's appeal (ETW Regs reg 10),
# its request to reconsider ceasing a plan (Regs reg 12) and a party's Tribunal review
# application (ETW Regs reg 53). When its time is up the window closes: nobody is late, it is
# never overdue nor a breach, and the case list does not sort on it (docs/rules.md#windows).
WINDOW_RULES: frozenset[str] = frozenset(
    {RuleId.TRIBUNAL_APPEAL, RuleId.CEASE_RECONSIDER_REQUEST, RuleId.TRIBUNAL_REVIEW_APPLICATION}
)


def window_closed(rule: str, due: date | None, today: date) -> bool:
    """A running clock that is a party's window and whose date has passed. The journey closes
    such a window without an event, so every reader of a clock asks this one question."""
    return rule in WINDOW_RULES and due is not None and due < today


class Role(StrEnum):
    """The roles a token may carry; the escalation ladder names the same objects."""

    LA_OFFICER = "la-officer"
    LA_MANAGER = "la-manager"
    HEAD_OF_SERVICE = "head-of-service"
    SCHOOL_ALNCO = "school-alnco"
    # An FEI's ALNCo (Act s.60) acts for its governing body, scope `fei:<UKPRN>`.
    FEI_ALNCO = "fei-alnco"
    EARLY_YEARS_OFFICER = "early-years-officer"
    DECLO = "declo"
    HEALTH_LIAISON = "health-liaison"
    CLINICIAN = "clinician"
    BOARD_ALN_LEAD = "board-aln-lead"
    ADVOCATE = "advocate"
    # Welsh Government analysts: national figures only (scope `wales`), never a case.
    WG_ANALYST = "wg-analyst"
    ADMIN = "admin"
    SERVICE = "service"


class RefusalCode(StrEnum):
    """Why a journey refused a command. The service says it in Welsh or English from its
    message catalogue (`refused.<code>`), filling in the refusal's parameters."""

    JOURNEY_STARTING = "journey-starting"
    CASE_CLOSED = "case-closed"
    DATE_IN_FUTURE = "date-in-future"  # params: field, day, today
    CONSENT_NOT_PENDING = "consent-not-pending"  # params: state
    CONSENT_NOT_GIVEN = "consent-not-given"
    NOT_DECISION_PENDING = "not-decision-pending"  # params: state
    NO_SCHOOL_CLOCK = "no-school-clock"  # params: rule
    REFERRED_BEFORE_CLOCK = "referred-before-clock"  # params: start
    NOTICE_DATE_REQUIRED = "notice-date-required"
    DECISION_ALREADY_RECORDED = "decision-already-recorded"
    HEALTH_REQUEST_EXISTS = "health-request-exists"  # params: request_id
    HEALTH_REQUEST_UNKNOWN = "health-request-unknown"  # params: request_id
    HEALTH_REQUEST_ANSWERED = "health-request-answered"  # params: request_id, outcome
    CLOCK_NOT_ADJUSTABLE = "clock-not-adjustable"  # params: rule
    CLOCK_NOT_RUNNING = "clock-not-running"  # params: rule
    PAUSE_ENDS_BEFORE_START = "pause-ends-before-start"
    EXCEPTION_NOT_ALLOWED = "exception-not-allowed"  # params: rule, action, reason (error class)
    NO_ACTIVE_IDP = "no-active-idp"  # params: state
    ONLY_SCHOOL_DECISION = "only-school-decision"
    ONLY_SCHOOL_IDP = "only-school-idp"
    RECONSIDERATION_RUNNING = "reconsideration-running"
    DATE_BEFORE_REFERRAL = "date-before-referral"  # params: field, day, bound (the referral)
    DATE_BEFORE_DECISION = "date-before-decision"  # params: field, day, bound (decided_on)
    NOT_DETAINED = "not-detained"  # a release recorded for a learner not in detention
    NO_TRIBUNAL_DECISION = "no-tribunal-decision"  # a review asked with no window open
    NOT_LA_PLAN = "not-la-plan"  # an FEI take-over asked of a plan the LA does not maintain


# The Temporal failure type a journey's refusal travels as: an `ApplicationError` with this
# type, message `<code>` and one detail, the `Refusal` as a dict.
REFUSAL_ERROR_TYPE = "JourneyRefused"


def __getattr__(name: str) -> object:
    # `Refusal` is a pydantic model, defined in refusal.py and lent here: the rest of this
    # module is plain enums, which the clock (and `llwybr clock`) use without pydantic.
    if name == "Refusal":
        from llwybr_contracts.refusal import Refusal

        return Refusal
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
