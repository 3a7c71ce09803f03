"""Explaining a due date: which days counted, which were skipped and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from llwybr_clock.counting import Count
from llwybr_clock.rules import Formula, Rule
from llwybr_clock.snapshot import CalendarSnapshot, DayReason


@dataclass(frozen=True, slots=True)
class DayNote:
    day: date
    counted: bool
    reason: DayReason | None = None  # why it was skipped
    detail: str = ""  # e.g. the bank holiday's name


@dataclass(frozen=True, slots=True)
class DaySpan:
    """Consecutive days with the same outcome, for short explanations."""

    first: date
    last: date
    counted: bool
    reason: DayReason | None
    days: int


@dataclass(frozen=True, slots=True)
class Explanation:
    rule: str
    citation: str
    basis: str
    assumed_conventions: tuple[str, ...]
    start: date
    due: date | None
    counted: int  # days that counted, in the rule's counting unit
    days: tuple[DayNote, ...]
    steps: tuple[str, ...]

    def spans(self) -> tuple[DaySpan, ...]:
        spans: list[DaySpan] = []
        for note in self.days:
            last = spans[-1] if spans else None
            if (
                last is not None
                and last.counted == note.counted
                and last.reason == note.reason
                and (note.day - last.last).days == 1
            ):
                spans[-1] = DaySpan(last.first, note.day, note.counted, note.reason, last.days + 1)
            else:
                spans.append(DaySpan(note.day, note.day, note.counted, note.reason, 1))
        return tuple(spans)


def _paused(pauses: tuple[tuple[int, int], ...], open_from: int | None, ordinal: int) -> bool:
    if open_from is not None and ordinal >= open_from:
        return True
    return any(a <= ordinal <= b for a, b in pauses)


def day_notes(
    rule: Rule, start: date, result: Count, snapshot: CalendarSnapshot | None
) -> tuple[DayNote, ...]:
    """Every day from the day after start to the due date (or to an open pause)."""
    start_ord = start.toordinal()
    if result.due is not None:
        end = result.due
    else:
        assert result.open_from is not None
        end = result.open_from - 1
    notes: list[DayNote] = []
    counted = 0
    for ordinal in range(start_ord + 1, end + 1):
        day = date.fromordinal(ordinal)
        paused = _paused(result.pauses, result.open_from, ordinal)
        if rule.formula is Formula.SCHOOL_DAYS:
            assert snapshot is not None
            if not snapshot.is_school_day(ordinal):
                reason = snapshot.reason_not_school_day(ordinal)
                detail = snapshot.bank_holiday_name(ordinal) or ""
                notes.append(DayNote(day, False, reason, detail))
            elif paused:
                notes.append(DayNote(day, False, DayReason.PAUSED))
            else:
                counted += 1
                notes.append(DayNote(day, True))
        elif counted >= result.n:
            # past the day the limit was reached: moving on to the (next) working day
            assert snapshot is not None
            detail = snapshot.bank_holiday_name(ordinal) or day.strftime("%A")
            notes.append(DayNote(day, False, DayReason.ROLL_OVER, detail))
        elif paused:
            notes.append(DayNote(day, False, DayReason.PAUSED))
        else:
            counted += 1
            notes.append(DayNote(day, True))
    return tuple(notes)
