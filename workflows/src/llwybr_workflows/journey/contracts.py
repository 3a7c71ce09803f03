"""Messages between the journey workflows and their activities, and the state a journey carries
across continue-as-new. Ids, codes and dates only (they sit in Temporal histories)."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llwybr_contracts.journey import JourneyInput, TimelineEntry
from llwybr_contracts.states import CaseState, DecidingBody


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PublishJourneyEvent(_Model):
    """One event for the journey's outbox. `seq` numbers the workflow's events, so the event id
    (derived from workflow id and seq) is the same on every activity retry."""

    workflow_id: str
    seq: int
    subject: str
    event_type: str
    payload: dict[str, Any]


Stage = Literal["at-risk", "due", "breached", "escalated"]


class LadderStep(_Model):
    """One rung of an escalation ladder. `roles` are keys resolved per case (ladder.py):
    officer, la-officer, manager, head-of-service, declo, board-aln-lead."""

    stage: Stage
    roles: tuple[str, ...]
    after_breach_days: int = Field(0, description="escalated only: days after 00:00 of breach")
    repeat_days: int | None = Field(None, description="escalated only: repeat until resolved")


class CaseSetupRequest(_Model):
    authority: str
    school_ref: str | None = None
    year: int = Field(description="first year the bank-holiday snapshot must cover")


class CaseSetup(_Model):
    """What the `load_case_setup` activity read, recorded in the history (so replay never
    re-reads a calendar file or the `holidays` library)."""

    school_calendar: dict[str, Any] | None = Field(
        None, description="CalendarSnapshot.to_dict() of the authority (+ school) calendar"
    )
    bank_holidays: dict[str, Any] = Field(description="bank-holiday-only CalendarSnapshot")
    board: str = Field(description="ONS code of the authority's health board")
    ladders: dict[str, tuple[LadderStep, ...]] = Field(description="per rule id, with overrides")
    ladder_versions: dict[str, int] = Field(
        default_factory=dict, description="the authority's own ladder version, per rule set"
    )


class ExceptionRecord(_Model):
    exception_id: str
    action: Literal["pause", "resume", "lift"]
    reason: str
    from_: date
    until: date | None = None
    actor: str
    recorded_at: datetime


class ClockRecord(_Model):
    """One clock the journey (or a HealthInput child) runs; rebuilt into a StatutoryClock."""

    key: str
    rule: str
    start: date
    subject: str | None = None
    exceptions: tuple[ExceptionRecord, ...] = ()
    disagreement_resolution: bool = False
    met_on: date | None = None
    alarms: bool = Field(True, description="False: shown only; another workflow owns its timers")
    fired: tuple[str, ...] = ()
    alarms_before_pause: bool = Field(
        False, description="an open pause silences alarms only from its FROM date (a patch)"
    )
    last_due: date | None = None


class HealthRequestRecord(_Model):
    request_id: str
    sent_on: date
    outcome: str | None = None
    on: date | None = None


class JourneyCarry(_Model):
    """Everything a journey carries into its next run (continue-as-new at each review)."""

    seq: int
    state: CaseState
    deciding_body: DecidingBody | None = None
    deciding_authority: str | None = None
    maintainer: str | None = Field(None, description="school or local-authority (the IDP's)")
    clocks: tuple[ClockRecord, ...] = ()
    health_requests: tuple[HealthRequestRecord, ...] = ()
    seen: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    reviews_held: int = 0
    decided: bool = False
    appeal_lodged: bool = False
    exception_ids: tuple[str, ...] = ()
    setup: CaseSetup | None = Field(
        None, description="the previous run's snapshots: the next run answers queries at once"
    )


class HealthInputStart(_Model):
    """Input of the HealthInput child (id `health-<request id>`)."""

    case_id: str
    request_id: str
    authority: str
    la: str = Field(description="ONS code of the case's LA (its officer is alerted on breach)")
    sent_on: date
    setup: CaseSetup


__all__ = [
    "CaseSetup",
    "CaseSetupRequest",
    "ClockRecord",
    "ExceptionRecord",
    "HealthInputStart",
    "HealthRequestRecord",
    "JourneyCarry",
    "JourneyInput",
    "LadderStep",
    "PublishJourneyEvent",
]
