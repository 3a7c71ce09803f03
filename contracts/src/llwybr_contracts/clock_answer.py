"""`ClockAnswer`: what `llwybr clock ... --json` prints (docs/rules.md s.1).

The rule is a `RuleId`; the other enumerations mirror llwybr_clock (units, statuses, basis) and a
test keeps them in step.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llwybr_contracts.vocabulary import RuleId

ClockUnit = Literal["school-days", "term-days", "days", "weeks", "months"]
ClockStatus = Literal["running", "at-risk", "due-today", "overdue", "paused", "lifted", "met"]
ClockBasis = Literal["law", "code", "assumed"]


class ClockDaySpan(BaseModel):
    """Consecutive days that counted, or were skipped for one reason."""

    model_config = ConfigDict(extra="forbid")

    first: date
    last: date
    days: int
    counted: bool
    reason: (
        Literal[
            "weekend", "bank-holiday", "holiday", "inset", "closure", "outside-term", "paused",
            "roll-over",
        ]
        | None
    ) = None  # fmt: skip


class ClockHistoryEntry(BaseModel):
    """The due date before and after one recorded exception (exceptions never delete history)."""

    model_config = ConfigDict(extra="forbid")

    exception: Literal["pause", "resume", "lift"]
    reason: str
    first: date  # pause start, resume or lift date
    last: date | None = None  # pause end (inclusive); None for an open pause
    due_before: date | None
    due_after: date | None


class ClockAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: RuleId
    start: date
    on: date = Field(description="the date the status is for (default: today in Wales)")
    due: date | None = Field(
        description="null once lifted, or on and after the FROM date of an open pause"
    )
    unit: ClockUnit
    count_unit: Literal["school-days", "term-days", "days"]
    status: ClockStatus
    limit: int = Field(description="in `unit`; 16 weeks for an extended tribunal appeal")
    warnings: list[date]
    citation: str
    basis: ClockBasis
    assumed_conventions: list[str]
    assumed: bool = Field(description="true unless basis is law and no assumed convention used")
    illustrative_calendar: bool = Field(description="a shipped illustrative calendar was used")
    calendar_version: str | None
    calendar: str | None = Field(default=None, description="the calendar's name")
    calendar_covers: list[date] | None = Field(default=None, description="[first, last]")
    authority: str | None = Field(default=None, description="ONS code")
    school: str | None = None
    disagreement_resolution: bool = False
    who_acts: str
    met_on: date | None = None
    days_late: int | None = Field(
        default=None, description="met after the due date: calendar days late (0 on time)"
    )
    days_elapsed: int = Field(description="in count_unit")
    days_remaining: int | None = Field(description="count_unit left (calendar days to due)")
    explanation: list[ClockDaySpan]
    steps: list[str]
    history: list[ClockHistoryEntry]
