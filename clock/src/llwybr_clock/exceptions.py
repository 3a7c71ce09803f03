"""Recorded exceptions to a clock: pause, resume and lift (docs/rules.md s.2).

An exception carries a reason code, the actor's id and the time it was recorded; free text stays
in the service that recorded it. Exceptions are applied in the order given (the order recorded)
and never delete history: `StatutoryClock.history()` shows the due date before each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from llwybr_clock.errors import ExceptionRecordError
from llwybr_contracts.vocabulary import RuleId


class ReasonCode(StrEnum):
    """Reason codes, assumed from the Code's examples as guidance reports them (docs/rules.md#reason-codes)."""

    LEARNER_ABSENT = "learner-absent"
    FAMILY_UNAVAILABLE = "family-unavailable"
    AWAITING_NHS_RESPONSE = "awaiting-nhs-response"
    AWAITING_INFORMATION_OUTSIDE_CONTROL = "awaiting-information-outside-control"
    SCHOOL_CLOSED_UNEXPECTEDLY = "school-closed-unexpectedly"
    NHS_IMPRACTICAL = "nhs-impractical"  # Regs reg 11(3): the NHS body's own; lifts health-response
    OTHER = "other"  # free text required, kept by the recording service


@dataclass(frozen=True, slots=True)
class Pause:
    """Pause from `start` to `until`, both inclusive; `until=None` is a pause still open."""

    start: date
    until: date | None
    reason: ReasonCode
    actor: str
    recorded_at: datetime

    def __post_init__(self) -> None:
        if self.until is not None and self.until < self.start:
            raise ExceptionRecordError(
                f"pause ends {self.until.isoformat()} before it starts {self.start.isoformat()}"
            )

    @property
    def kind(self) -> str:
        return "pause"


@dataclass(frozen=True, slots=True)
class Resume:
    """Close the open pause: `on` is the first day the clock runs again."""

    on: date
    reason: ReasonCode
    actor: str
    recorded_at: datetime

    @property
    def kind(self) -> str:
        return "resume"


@dataclass(frozen=True, slots=True)
class Lift:
    """Lift the limit from `on`: no statutory date any more (the case is still tracked)."""

    on: date
    reason: ReasonCode
    actor: str
    recorded_at: datetime

    @property
    def kind(self) -> str:
        return "lift"


ClockException = Pause | Resume | Lift


@dataclass(frozen=True, slots=True)
class PausePlan:
    """The pauses as counting needs them: merged, inclusive ordinal spans, at most one open."""

    closed: tuple[tuple[int, int], ...]
    open_from: int | None  # an open pause from this ordinal onwards
    lifted_on: date | None


NO_EXCEPTIONS = PausePlan(closed=(), open_from=None, lifted_on=None)


def plan_exceptions(exceptions: tuple[ClockException, ...], rule_id: str) -> PausePlan:
    """Apply resumes to open pauses, check reason codes, merge overlapping pauses.

    Pause conventions, assumed (docs/rules.md#pauses): FROM:TO covers both dates; overlapping (or
    touching) pauses merge; an open pause swallows any pause that starts after it.
    """
    if not exceptions:
        return NO_EXCEPTIONS
    spans: list[tuple[int, int | None]] = []
    lifted_on: date | None = None
    for exc in exceptions:
        if exc.reason is ReasonCode.NHS_IMPRACTICAL and not (
            isinstance(exc, Lift) and rule_id == RuleId.HEALTH_RESPONSE
        ):
            raise ExceptionRecordError(
                "reason nhs-impractical only lifts a health-response clock (Regs reg 11(3))"
            )
        if isinstance(exc, Pause):
            spans.append(
                (exc.start.toordinal(), exc.until.toordinal() if exc.until is not None else None)
            )
        elif isinstance(exc, Resume):
            open_ = [i for i, (_, end) in enumerate(spans) if end is None]
            if not open_:
                raise ExceptionRecordError(f"resume on {exc.on.isoformat()} but no pause is open")
            i = open_[-1]
            start = spans[i][0]
            if exc.on.toordinal() < start:
                raise ExceptionRecordError(
                    f"resume on {exc.on.isoformat()} is before the pause it closes starts "
                    f"({date.fromordinal(start).isoformat()})"
                )
            if exc.on.toordinal() == start:
                del spans[i]  # resumed the day it started: nothing was paused
            else:
                spans[i] = (start, exc.on.toordinal() - 1)
        elif lifted_on is None or exc.on < lifted_on:
            lifted_on = exc.on
    spans.sort(key=lambda s: s[0])
    closed: list[tuple[int, int]] = []
    open_from: int | None = None
    for start, end in spans:
        if open_from is not None:
            break  # everything after an open pause is inside it
        if closed and start <= closed[-1][1] + 1:
            if end is None:
                open_from = closed.pop()[0]
            else:
                closed[-1] = (closed[-1][0], max(closed[-1][1], end))
        elif end is None:
            open_from = start
        else:
            closed.append((start, end))
    return PausePlan(closed=tuple(closed), open_from=open_from, lifted_on=lifted_on)
