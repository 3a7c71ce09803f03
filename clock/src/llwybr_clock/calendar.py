"""School calendar entries, their validation and precedence, and building them into a snapshot.

docs/rules.md s.3: entries are `term`, `holiday`, `inset` or `closure` spans (dates
inclusive); where they overlap, closure beats inset beats holiday beats term. Only two `term`
spans that overlap are an error. Per-school rows add to the authority's calendar with the same
precedence. Bank holidays in Wales are applied when the snapshot is built.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from llwybr_clock.bank_holidays import welsh_bank_holidays
from llwybr_clock.errors import CalendarError
from llwybr_clock.snapshot import CalendarSnapshot, DayReason


class Kind(StrEnum):
    TERM = "term"
    HOLIDAY = "holiday"
    INSET = "inset"
    CLOSURE = "closure"


# Higher wins (docs/rules.md s.3, precedence).
PRECEDENCE: dict[Kind, int] = {Kind.TERM: 0, Kind.HOLIDAY: 1, Kind.INSET: 2, Kind.CLOSURE: 3}

_REASON_FOR_KIND = {
    Kind.HOLIDAY: DayReason.HOLIDAY,
    Kind.INSET: DayReason.INSET,
    Kind.CLOSURE: DayReason.CLOSURE,
}


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    start: date
    end: date  # inclusive
    kind: Kind
    school: str | None = None  # None: the authority's own row
    source: str = ""  # where it came from, for error messages: "line 7", "event UID x (SUMMARY)"

    def days(self) -> Iterable[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)


def _where(entry: CalendarEntry) -> str:
    return f"{entry.source}: " if entry.source else ""


def _kinds_by_day(entries: Iterable[CalendarEntry]) -> dict[date, Kind]:
    kinds: dict[date, Kind] = {}
    for entry in entries:
        for day in entry.days():
            current = kinds.get(day)
            if current is None or PRECEDENCE[entry.kind] > PRECEDENCE[current]:
                kinds[day] = entry.kind
    return kinds


def _in_scope(entries: Iterable[CalendarEntry], school: str | None) -> list[CalendarEntry]:
    """The authority's rows, plus the given school's rows (which add to them)."""
    return [e for e in entries if e.school is None or (school is not None and e.school == school)]


def validate_entries(
    entries: Iterable[CalendarEntry], bank_holidays: Mapping[date, str] | None = None
) -> None:
    """Raise `CalendarError` naming the line or event for an inconsistent calendar."""
    entries = list(entries)
    for entry in entries:
        if entry.end < entry.start:
            raise CalendarError(
                f"{_where(entry)}{entry.kind} ends {entry.end.isoformat()} before it starts "
                f"{entry.start.isoformat()}"
            )
    if not entries:
        raise CalendarError("the calendar has no entries")
    schools = {e.school for e in entries}
    for school in schools:
        own_terms = sorted(
            (e for e in entries if e.school == school and e.kind is Kind.TERM),
            key=lambda e: (e.start, e.end),
        )
        for earlier, later in itertools.pairwise(own_terms):
            if later.start <= earlier.end:
                raise CalendarError(
                    f"{_where(later)}term {later.start.isoformat()} to {later.end.isoformat()} "
                    f"overlaps the term {earlier.start.isoformat()} to {earlier.end.isoformat()}"
                    + (f" ({earlier.source})" if earlier.source else "")
                )
        kinds = _kinds_by_day(_in_scope(entries, school))
        holidays_ = bank_holidays or {}
        for term in own_terms:
            if not any(
                day.weekday() < 5 and kinds[day] is Kind.TERM and day not in holidays_
                for day in term.days()
            ):
                raise CalendarError(
                    f"{_where(term)}term {term.start.isoformat()} to {term.end.isoformat()} "
                    "has no school days"
                )


def snapshot_version(payload: object) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"cal-{digest[:16]}"


def build_snapshot(
    entries: Iterable[CalendarEntry],
    *,
    label: str,
    authority: str | None = None,
    school: str | None = None,
    illustrative: bool = False,
    bank_holidays: Mapping[date, str] | None = None,
) -> CalendarSnapshot:
    """Turn calendar entries into a snapshot, applying Welsh bank holidays now.

    Coverage is the first to the last listed date (authority rows and this school's rows).
    Bank holidays cover the calendar's years and the year after, so a weeks clock that starts
    near the end of coverage can still roll over.
    """
    scoped = _in_scope(entries, school)
    if not scoped:
        raise CalendarError(f"the calendar for {label} has no entries")
    first = min(e.start for e in scoped)
    last = max(e.end for e in scoped)
    years = (first.year, last.year + 1)
    if bank_holidays is None:
        bank_holidays = welsh_bank_holidays(*years)
    validate_entries(scoped, bank_holidays)
    kinds = _kinds_by_day(scoped)
    school_days: list[int] = []
    non_school: list[tuple[int, DayReason]] = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in bank_holidays:
            kind = kinds.get(day)
            if kind is Kind.TERM:
                school_days.append(day.toordinal())
            else:
                reason = _REASON_FOR_KIND.get(kind, DayReason.OUTSIDE_TERM) if kind else None
                non_school.append((day.toordinal(), reason or DayReason.OUTSIDE_TERM))
        day += timedelta(days=1)
    holidays_ = tuple(
        (d.toordinal(), name)
        for d, name in sorted(bank_holidays.items())
        if years[0] <= d.year <= years[1]
    )
    payload = {
        "label": label,
        "authority": authority,
        "school": school,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "school_days": school_days,
        "non_school_days": [[o, r.value] for o, r in non_school],
        "bank_holidays": [list(h) for h in holidays_],
        "years": list(years),
        "illustrative": illustrative,
    }
    return CalendarSnapshot(
        version=snapshot_version(payload),
        label=label,
        authority=authority,
        school=school,
        first=first,
        last=last,
        school_days=tuple(school_days),
        non_school_days=tuple(non_school),
        bank_holidays=holidays_,
        bank_holiday_years=years,
        illustrative=illustrative,
    )


def bank_holiday_snapshot(
    first_year: int, last_year: int, bank_holidays: Mapping[date, str] | None = None
) -> CalendarSnapshot:
    """A snapshot with no school calendar: enough for the weeks and days rules' roll-over."""
    if bank_holidays is None:
        bank_holidays = welsh_bank_holidays(first_year, last_year)
    holidays_ = tuple((d.toordinal(), name) for d, name in sorted(bank_holidays.items()))
    label = "Wales (bank holidays only)"
    payload = {"label": label, "bank_holidays": [list(h) for h in holidays_],
               "years": [first_year, last_year]}  # fmt: skip
    return CalendarSnapshot(
        version=snapshot_version(payload),
        label=label,
        authority=None,
        school=None,
        first=None,
        last=None,
        school_days=(),
        non_school_days=(),
        bank_holidays=holidays_,
        bank_holiday_years=(first_year, last_year),
    )
