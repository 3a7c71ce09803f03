"""The statutory clock: rule + start date + calendar snapshot + recorded exceptions.

Pure and deterministic (safe inside Temporal workflow code): no I/O, no wall clock, no
randomness. Every answer follows docs/rules.md s.1; the snapshot supplies the dates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from llwybr_clock import counting
from llwybr_clock.errors import ClockError
from llwybr_clock.exceptions import ClockException, Lift, PausePlan, plan_exceptions
from llwybr_clock.explanation import Explanation, day_notes
from llwybr_clock.rules import (
    PAUSE_CONVENTIONS,
    PAUSE_MONTHS_AS_DAYS,
    Basis,
    Formula,
    Rule,
    Unit,
    rule_for,
)
from llwybr_clock.snapshot import CalendarSnapshot

T = TypeVar("T")


class _once(Generic[T]):
    """Compute an attribute on first use and keep it in the instance (a clock never changes).

    functools.cached_property takes a lock on every first access in Python 3.11, which
    dominates the cost of recomputing 100,000 clocks (bench/clock_recompute.py).
    """

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, clock: Any, owner: Any = None) -> T:
        value: T = self.compute(clock)
        clock.__dict__[self.name] = value
        return value


class Status(StrEnum):
    """Statuses a clock reports on a given date (docs/rules.md s.1)."""

    RUNNING = "running"
    AT_RISK = "at-risk"  # on or after the first warning date
    DUE_TODAY = "due-today"
    OVERDUE = "overdue"  # from 00:00 the day after the due date
    PAUSED = "paused"
    LIFTED = "lifted"
    MET = "met"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """The due date just before and just after one recorded exception."""

    exception: ClockException
    due_before: date | None
    due_after: date | None


def _date(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


@dataclass(frozen=True)
class StatutoryClock:
    rule: str
    start: date
    calendar: CalendarSnapshot | None = None
    exceptions: tuple[ClockException, ...] = ()
    disagreement_resolution: bool = False  # tribunal-appeal: s.68 used, 8 weeks become 16
    met_on: date | None = None

    def __post_init__(self) -> None:
        rule = self.spec  # raises UnknownRuleError
        if self.disagreement_resolution and rule.extended_limit is None:
            raise ClockError(f"disagreement resolution extends only tribunal-appeal, not {rule.id}")

    # -- rule facts --------------------------------------------------------------------

    @_once
    def spec(self) -> Rule:
        return rule_for(self.rule)

    @property
    def limit(self) -> int:
        return self.spec.limit_for(disagreement_resolution=self.disagreement_resolution)

    @property
    def unit(self) -> Unit:
        return self.spec.unit

    @property
    def basis(self) -> Basis:
        return self.spec.basis

    @property
    def citation(self) -> str:
        return self.spec.citation

    @property
    def assumed_conventions(self) -> tuple[str, ...]:
        names = list(self.spec.conventions)
        if any(exc.kind != "lift" for exc in self.exceptions):
            names.append(PAUSE_CONVENTIONS)
            if self.spec.formula is Formula.DAY_BEFORE_ANNIVERSARY:
                names.append(PAUSE_MONTHS_AS_DAYS)
        return tuple(names)

    @property
    def assumed(self) -> bool:
        """True unless the rule is law and no assumed convention produced the date."""
        return self.basis is not Basis.LAW or bool(self.assumed_conventions)

    @property
    def calendar_version(self) -> str | None:
        return self.calendar.version if self.calendar is not None else None

    # -- counting ----------------------------------------------------------------------

    @_once
    def _plan(self) -> PausePlan:
        return plan_exceptions(self.exceptions, self.rule)

    @_once
    def _count(self) -> counting.Count:
        return counting.count(self.spec, self.start, self.limit, self.calendar, self._plan)

    @_once
    def _count_without_open_pause(self) -> counting.Count:
        plan = dataclasses.replace(self._plan, open_from=None)
        return counting.count(self.spec, self.start, self.limit, self.calendar, plan)

    def _count_on(self, on: date | None) -> counting.Count:
        """The count as it stands on `on`: an open pause takes effect on its FROM date, so on
        an earlier day the clock answers as if it were not there (docs/rules.md#pauses)."""
        result = self._count
        if on is not None and result.open_from is not None and on.toordinal() < result.open_from:
            return self._count_without_open_pause
        return result

    @property
    def paused_from(self) -> date | None:
        """The FROM date of the open pause that holds the due date, if any."""
        return _date(self._count.open_from)

    def due(self, on: date | None = None) -> date | None:
        """The due date; None while a pause is open (from its FROM date, when `on` is given)
        or once the limit is lifted."""
        if self._plan.lifted_on is not None:
            return None
        return _date(self._count_on(on).due)

    def days_late(self) -> int | None:
        """Calendar days a met duty was done after its due date (0 on time); None when not met
        or without a due date. Late is still met (docs/rules.md#met)."""
        if self.met_on is None:
            return None
        due = self.due(self.met_on)
        if due is None:
            return None
        return max(0, (self.met_on - due).days)

    def _warnings_for(self, result: counting.Count) -> tuple[date, ...]:
        if result.due is None:
            return ()
        start = self.start.toordinal()
        found: list[date] = []
        for offset in self.spec.warnings:
            if self.spec.formula is Formula.SCHOOL_DAYS:
                # count back `offset` unpaused school days from the due date
                snapshot = self.calendar
                assert snapshot is not None
                index = snapshot.school_day_index_after(result.due) - 1
                steps = 0
                while steps < offset and index > 0:
                    index -= 1
                    day = snapshot.school_days[index]
                    if not any(a <= day <= b for a, b in result.pauses):
                        steps += 1
                ordinal = snapshot.school_days[index] if steps == offset else start
            else:
                ordinal = result.due - offset
            if ordinal > start:
                found.append(date.fromordinal(ordinal))
        return tuple(found)

    def warnings(self, on: date | None = None) -> tuple[date, ...]:
        """Warning dates, earliest first, counted back from the final due date (empty when
        there is no due date)."""
        if self._plan.lifted_on is not None:
            return ()
        return tuple(sorted(self._warnings_for(self._count_on(on))))

    def status(self, on: date) -> Status:
        if self.met_on is not None and on >= self.met_on:
            return Status.MET
        if self._plan.lifted_on is not None and on >= self._plan.lifted_on:
            return Status.LIFTED
        if self._count.open_from is not None and on.toordinal() >= self._count.open_from:
            return Status.PAUSED
        result = self._count_on(on)  # before its FROM date an open pause is not there
        assert result.due is not None
        ordinal = on.toordinal()
        if any(a <= ordinal <= b for a, b in result.pauses):
            return Status.PAUSED
        if ordinal > result.due:
            return Status.OVERDUE
        if ordinal == result.due:
            return Status.DUE_TODAY
        warnings = self._warnings_for(result)
        if warnings and on >= min(warnings):
            return Status.AT_RISK
        return Status.RUNNING

    def days_elapsed(self, on: date) -> int:
        """Days counted so far (in the counting unit: school/term days or calendar days)."""
        result = self._count
        start = self.start.toordinal()
        end = on.toordinal()
        if result.reached is not None:
            end = min(end, result.reached)
        if end <= start:
            return 0
        pauses = result.pauses
        if result.open_from is not None:
            pauses = (*pauses, (result.open_from, end))
        if self.spec.formula is Formula.SCHOOL_DAYS:
            assert self.calendar is not None
            days = self.calendar.school_days_between(start + 1, end)
            days -= counting.paused_school_days(self.calendar, pauses, start + 1, end)
        else:
            days = end - start - counting.paused_days(pauses, start + 1, end)
        return min(days, result.n)

    def days_remaining(self, on: date) -> int | None:
        """School/term days left to count, or calendar days to the due date; None without one."""
        due = self.due(on)
        if due is None:
            return None
        if self.spec.formula is Formula.SCHOOL_DAYS:
            return self._count.n - self.days_elapsed(on)
        return max(0, (due - on).days)

    # -- accounts ----------------------------------------------------------------------

    def explain(self) -> Explanation:
        result = self._count
        notes = day_notes(self.spec, self.start, result, self.calendar)
        counted = sum(1 for n in notes if n.counted)
        steps = [f"{self.rule}: {self.limit} {self.unit} ({self.citation}), basis {self.basis}"]
        steps.append(f"start {self.start.isoformat()}; counting {self.spec.count_unit} after it")
        if self.spec.formula is Formula.DAY_BEFORE_ANNIVERSARY:
            steps.append("due the day before the anniversary of the start (29 Feb: 28 Feb)")
        elif self.spec.formula is Formula.DAYS_ROLL_OVER:
            steps.append("a due date that is not a working day rolls over (Regs reg 2(4))")
        elif self.spec.formula is Formula.WORKING_DAY_STRICTLY_AFTER:
            steps.append("due the first working day strictly after the period ends")
        elif self.spec.formula is Formula.DAYS_NO_ROLL_OVER:
            steps.append("no roll-over")
        if result.open_from is not None:
            steps.append(f"paused since {date.fromordinal(result.open_from).isoformat()}")
        for exc in self.exceptions:
            if isinstance(exc, Lift):
                steps.append(f"lifted from {exc.on.isoformat()} ({exc.reason})")
        if result.reached is not None and result.due is not None and result.reached != result.due:
            assert self.calendar is not None
            end = date.fromordinal(result.reached)
            why = self.calendar.bank_holiday_name(result.reached) or end.strftime("%A")
            if self.spec.formula is Formula.DAYS_ROLL_OVER:
                steps.append(
                    f"the period ends {end.isoformat()} ({why}), not a working day: "
                    "rolled over to the next working day"
                )
            else:
                steps.append(f"the period ends {end.isoformat()} ({why}); next working day after")
        due = self.due()
        steps.append(f"due {due.isoformat()}" if due else "no due date")
        return Explanation(
            rule=self.rule,
            citation=self.citation,
            basis=str(self.basis),
            assumed_conventions=self.assumed_conventions,
            start=self.start,
            due=due,
            counted=counted,
            days=notes,
            steps=tuple(steps),
        )

    def history(self) -> tuple[HistoryEntry, ...]:
        """The due date before and after each exception, in the order they were recorded."""
        entries: list[HistoryEntry] = []
        before = dataclasses.replace(self, exceptions=(), met_on=None).due()
        for i, exc in enumerate(self.exceptions, start=1):
            after = dataclasses.replace(self, exceptions=self.exceptions[:i], met_on=None).due()
            entries.append(HistoryEntry(exc, before, after))
            before = after
        return tuple(entries)

    # -- changes (new clocks; a clock never changes) -----------------------------------

    def met(self, on: date) -> StatutoryClock:
        """The duty was done on `on` (docs/rules.md#met)."""
        return dataclasses.replace(self, met_on=on)

    def with_exception(self, exception: ClockException) -> StatutoryClock:
        return dataclasses.replace(self, exceptions=(*self.exceptions, exception))

    def on_calendar(self, calendar: CalendarSnapshot) -> StatutoryClock:
        """The same clock recomputed on a changed calendar (e.g. a snow closure added)."""
        # direct construction: this runs for every open clock when an authority's calendar
        # changes (bench/clock_recompute.py), and dataclasses.replace costs more than the count
        return StatutoryClock(
            self.rule,
            self.start,
            calendar,
            self.exceptions,
            self.disagreement_resolution,
            self.met_on,
        )
