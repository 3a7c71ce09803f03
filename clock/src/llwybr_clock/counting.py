"""Counting a limit on a snapshot: the due-date formulas of docs/rules.md s.1.

Pure functions on ordinals. School days are found by bisection on the snapshot's sorted school
days, so a clock costs a few bisections, never a walk over the days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from llwybr_clock.errors import ClockError
from llwybr_clock.exceptions import PausePlan
from llwybr_clock.rules import Formula, Rule
from llwybr_clock.snapshot import CalendarSnapshot


@dataclass(frozen=True, slots=True)
class Count:
    """Where the count ended: `reached` is the day the limit was reached, `due` after roll-over.

    Both are None while an effective pause is open. `pauses` are the closed pauses that took
    effect (began on or before the day the limit would otherwise have been reached).
    """

    n: int  # the limit in counting units (school/term days or calendar days)
    reached: int | None
    due: int | None
    pauses: tuple[tuple[int, int], ...]
    open_from: int | None


def days_to_count(rule: Rule, start: date, limit: int) -> int:
    """The limit in counting units: school/term days, or calendar days for the other rules."""
    if rule.formula is Formula.DAY_BEFORE_ANNIVERSARY:
        # Act ss.23-24: once in each 12-month period, so due the day before the anniversary;
        # a start on 29 February is due on 28 February the next year.
        if start.month == 2 and start.day == 29:
            last = date(start.year + 1, 2, 28)
        else:
            last = start.replace(year=start.year + 1) - timedelta(days=1)
        return (last - start).days
    return rule.days_in_limit(limit)


def count_school_days(snapshot: CalendarSnapshot, start: int, n: int, plan: PausePlan) -> Count:
    """The Nth unpaused school day strictly after `start` [assumed: school-days-counting]."""
    snapshot.require_covered(date.fromordinal(start))
    target = snapshot.school_day_index_after(start) + n - 1
    due = snapshot.nth_school_day(target)
    effective: list[tuple[int, int]] = []
    for first, last in plan.closed:
        if first > due:
            break  # a pause after the due date cannot revive a passed clock
        lo = max(first, start + 1)
        if last < lo:
            continue
        effective.append((first, last))
        # every paused school day in the span pushes the due date one school day on
        target += snapshot.school_days_between(lo, last)
        due = snapshot.nth_school_day(target)
    if plan.open_from is not None and plan.open_from <= due:
        return Count(n, None, None, tuple(effective), plan.open_from)
    return Count(n, due, due, tuple(effective), None)


def count_calendar_days(start: int, n: int, plan: PausePlan) -> tuple[int, Count]:
    """The day `n` unpaused calendar days after `start` (before any roll-over)."""
    reached = start + n
    effective: list[tuple[int, int]] = []
    for first, last in plan.closed:
        if first > reached:
            break
        lo = max(first, start + 1)
        if last < lo:
            continue
        effective.append((first, last))
        reached += last - lo + 1
    if plan.open_from is not None and plan.open_from <= reached:
        return reached, Count(n, None, None, tuple(effective), plan.open_from)
    return reached, Count(n, reached, reached, tuple(effective), None)


def next_working_day(snapshot: CalendarSnapshot, ordinal: int) -> int:
    """`ordinal` if it is a working day, else the next one (Regs reg 2(4) roll-over)."""
    while not snapshot.is_working_day(ordinal):
        ordinal += 1
    return ordinal


def count(
    rule: Rule, start: date, limit: int, snapshot: CalendarSnapshot | None, plan: PausePlan
) -> Count:
    """Apply the rule's formula: the due date (ordinal) and the pauses that shaped it."""
    n = days_to_count(rule, start, limit)
    start_ord = start.toordinal()
    if rule.formula is Formula.SCHOOL_DAYS:
        if snapshot is None:
            raise ClockError(
                f"{rule.id} counts {rule.unit}: it needs a school calendar "
                "(an authority or a calendar file)"
            )
        return count_school_days(snapshot, start_ord, n, plan)
    reached, result = count_calendar_days(start_ord, n, plan)
    if result.due is None or rule.formula in (
        Formula.DAYS_NO_ROLL_OVER,
        Formula.DAY_BEFORE_ANNIVERSARY,
    ):
        return result
    if snapshot is None:
        raise ClockError(f"{rule.id} rolls over to a working day: it needs Welsh bank holidays")
    if rule.formula is Formula.DAYS_ROLL_OVER:
        due = next_working_day(snapshot, reached)
    else:  # WORKING_DAY_STRICTLY_AFTER (ETW Regs reg 10)
        due = next_working_day(snapshot, reached + 1)
    return Count(n, reached, due, result.pauses, None)


def paused_days(pauses: tuple[tuple[int, int], ...], first: int, last: int) -> int:
    """Calendar days of `pauses` inside first..last."""
    total = 0
    for a, b in pauses:
        lo, hi = max(a, first), min(b, last)
        if hi >= lo:
            total += hi - lo + 1
    return total


def paused_school_days(
    snapshot: CalendarSnapshot, pauses: tuple[tuple[int, int], ...], first: int, last: int
) -> int:
    total = 0
    for a, b in pauses:
        total += snapshot.school_days_between(max(a, first), min(b, last))
    return total
