"""A journey's first clock, worked out as the journey works it out: one home for the choices the
journey makes when it begins (which calendar a rule counts on, which start, which school's
calendar), so that referral intake can answer with the first due date at once and the journey,
which stays the authority, counts the same date (docs/rules.md, "The first clock at intake").

Pure: no I/O, no wall clock; the snapshots come from the caller (the journey's `CaseSetup`, or
the same snapshots the worker serves to intake).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from llwybr_clock.clock import StatutoryClock
from llwybr_clock.rules import rule_for
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState


def calendar_for(
    rule: str, *, school: CalendarSnapshot | None, bank: CalendarSnapshot
) -> CalendarSnapshot | None:
    """The snapshot `rule` counts on: the school (or FEI) calendar for school-day rules, the
    bank holidays for the weeks and days rules that roll over (Regs reg 2(4)), else none
    (idp-review, tribunal-review-application: clock/README.md)."""
    spec = rule_for(rule)
    if spec.needs_school_calendar:
        return school
    if spec.needs_bank_holidays:
        return bank
    return None


def calendar_school(journey: JourneyInput) -> str | None:
    """Whose term dates the journey loads: the school's, else an FEI's, imported under its
    UKPRN [assumed]; the authority's own calendar applies when neither has rows."""
    return journey.school_ref or journey.institution


@dataclass(frozen=True)
class FirstClock:
    rule: str
    start: date
    due: date | None
    assumed: bool
    calendar_version: str | None


def first_clock(
    journey: JourneyInput, *, school: CalendarSnapshot | None, bank: CalendarSnapshot
) -> FirstClock | None:
    """The clock a new journey starts, as `rules.begin` starts it: the routed rule from the
    clock's start (the consent date for a young person, else the date the matter came to
    attention). None when no clock runs yet (consent pending, closed) or routing named none.
    Raises the clock's own errors (a `CoverageError` when the term dates do not reach): never
    counts weekdays instead (docs/rules.md, Coverage)."""
    if journey.state != CaseState.DECISION_PENDING or journey.first_rule is None:
        return None
    start = journey.clock_start or journey.received_on
    clock = StatutoryClock(
        rule=journey.first_rule,
        start=start,
        calendar=calendar_for(journey.first_rule, school=school, bank=bank),
    )
    return FirstClock(
        rule=journey.first_rule,
        start=start,
        due=clock.due(),
        assumed=clock.assumed,
        calendar_version=clock.calendar_version,
    )
