"""A calendar snapshot: the frozen list of dates a clock counts on (docs/rules.md s.3).

A snapshot is built once (see `calendar.build_snapshot`, which applies Welsh bank holidays at that
moment) and then only read. Clocks record its `version`, a content hash, so a later change to the
`holidays` library or to a calendar file never alters a running workflow on replay.

School days are a sorted tuple of date ordinals, so "the Nth school day after X" is one bisection.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from llwybr_clock.errors import CoverageError


class DayReason(StrEnum):
    """Why a day was not counted (for explanations)."""

    WEEKEND = "weekend"
    BANK_HOLIDAY = "bank-holiday"
    HOLIDAY = "holiday"
    INSET = "inset"
    CLOSURE = "closure"
    OUTSIDE_TERM = "outside-term"  # a weekday in coverage that no term span lists
    PAUSED = "paused"
    ROLL_OVER = "roll-over"  # not counted: passed over to reach a working day


def weekday_of(ordinal: int) -> int:
    """Monday = 0 ... Sunday = 6, straight from a proleptic ordinal (1 Jan 1 AD was a Monday)."""
    return (ordinal - 1) % 7


@dataclass(frozen=True, slots=True, eq=False)
class CalendarSnapshot:
    version: str
    label: str  # how errors name it: "Cardiff", "Wales (bank holidays only)", a file name
    authority: str | None  # ONS code, when the calendar belongs to an authority
    school: str | None
    first: date | None  # covered range: first..last listed date; None without a school calendar
    last: date | None
    school_days: tuple[int, ...]  # sorted ordinals of days with pupil sessions
    non_school_days: tuple[tuple[int, DayReason], ...]  # weekdays in coverage that are not
    # school days and not bank holidays, with the reason
    bank_holidays: tuple[tuple[int, str], ...]  # ordinal, name (Wales)
    bank_holiday_years: tuple[int, int]  # first and last year the bank holidays cover
    illustrative: bool = False
    _bank_holiday_set: frozenset[int] = field(init=False, repr=False)
    _reasons: dict[int, DayReason] = field(init=False, repr=False)
    _covered: tuple[int, int] = field(init=False, repr=False)  # ordinals of first, last
    _bank_holiday_span: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bank_holiday_set", frozenset(o for o, _ in self.bank_holidays))
        object.__setattr__(self, "_reasons", dict(self.non_school_days))
        covered = (
            (self.first.toordinal(), self.last.toordinal()) if self.first and self.last else (0, -1)
        )
        object.__setattr__(self, "_covered", covered)
        first_year, last_year = self.bank_holiday_years
        span = (date(first_year, 1, 1).toordinal(), date(last_year, 12, 31).toordinal())
        object.__setattr__(self, "_bank_holiday_span", span)

    # -- working days (Regs reg 2(4): Monday to Friday, not a bank holiday in Wales) ----------

    def _check_bank_holiday_year(self, ordinal: int) -> None:
        if self._bank_holiday_span[0] <= ordinal <= self._bank_holiday_span[1]:
            return
        year = date.fromordinal(ordinal).year
        first, last = self.bank_holiday_years
        if year < first or year > last:
            raise CoverageError(
                f"no Welsh bank holidays in calendar {self.label} for {year} "
                f"(it covers {first} to {last})"
            )

    def is_working_day(self, ordinal: int) -> bool:
        self._check_bank_holiday_year(ordinal)
        return weekday_of(ordinal) < 5 and ordinal not in self._bank_holiday_set

    def bank_holiday_name(self, ordinal: int) -> str | None:
        for o, name in self.bank_holidays:
            if o == ordinal:
                return name
        return None

    # -- school days ---------------------------------------------------------------------

    @property
    def has_school_calendar(self) -> bool:
        return self.first is not None

    def covered_range(self) -> str:
        if self.first is None or self.last is None:
            return "no term dates"
        return f"{self.first.isoformat()} to {self.last.isoformat()}"

    def require_covered(self, day: date) -> None:
        """Raise unless `day` lies in the covered range (docs/rules.md#coverage)."""
        if self._covered[0] <= day.toordinal() <= self._covered[1]:
            return
        if self.first is None or self.last is None:
            raise CoverageError(f"no term dates for {self.label}: it has no school calendar")
        if day < self.first:
            raise CoverageError(
                f"no term dates for {self.label} before {self.first.isoformat()} "
                f"(the calendar covers {self.covered_range()})"
            )
        if day > self.last:
            raise CoverageError(
                f"no term dates for {self.label} after {self.last.isoformat()} "
                f"(the calendar covers {self.covered_range()})"
            )

    def school_day_index_after(self, ordinal: int) -> int:
        """Index into `school_days` of the first school day strictly after `ordinal`."""
        return bisect_right(self.school_days, ordinal)

    def school_days_between(self, first: int, last: int) -> int:
        """How many school days lie in first..last inclusive."""
        if last < first:
            return 0
        return bisect_right(self.school_days, last) - bisect_left(self.school_days, first)

    def nth_school_day(self, index: int) -> int:
        """The school day at `index`, or `CoverageError` naming the authority and its range."""
        if index >= len(self.school_days):
            assert self.last is not None
            raise CoverageError(
                f"no term dates for {self.label} after {self.last.isoformat()} "
                f"(the calendar covers {self.covered_range()})"
            )
        return self.school_days[index]

    def is_school_day(self, ordinal: int) -> bool:
        i = bisect_left(self.school_days, ordinal)
        return i < len(self.school_days) and self.school_days[i] == ordinal

    def reason_not_school_day(self, ordinal: int) -> DayReason:
        """Why a day in coverage is not a school day (call only for non-school days)."""
        if weekday_of(ordinal) >= 5:
            return DayReason.WEEKEND
        if ordinal in self._bank_holiday_set:
            return DayReason.BANK_HOLIDAY
        return self._reasons.get(ordinal, DayReason.OUTSIDE_TERM)

    # -- transport (workflow inputs are plain data) ----------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "label": self.label,
            "authority": self.authority,
            "school": self.school,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "school_days": list(self.school_days),
            "non_school_days": [[o, r.value] for o, r in self.non_school_days],
            "bank_holidays": [[o, n] for o, n in self.bank_holidays],
            "bank_holiday_years": list(self.bank_holiday_years),
            "illustrative": self.illustrative,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalendarSnapshot:
        return cls(
            version=data["version"],
            label=data["label"],
            authority=data["authority"],
            school=data["school"],
            first=date.fromisoformat(data["first"]) if data["first"] else None,
            last=date.fromisoformat(data["last"]) if data["last"] else None,
            school_days=tuple(data["school_days"]),
            non_school_days=tuple((o, DayReason(r)) for o, r in data["non_school_days"]),
            bank_holidays=tuple((o, n) for o, n in data["bank_holidays"]),
            bank_holiday_years=(data["bank_holiday_years"][0], data["bank_holiday_years"][1]),
            illustrative=data["illustrative"],
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CalendarSnapshot) and self.version == other.version

    def __hash__(self) -> int:
        return hash(self.version)
