"""Choosing the parser for a calendar file: CSV or iCalendar (docs/rules.md s.3)."""

from __future__ import annotations

from typing import Literal

from llwybr_clock.calendar import CalendarEntry
from llwybr_clock.csv_import import parse_csv
from llwybr_clock.errors import CalendarError
from llwybr_clock.ics_import import parse_ics

CalendarFormat = Literal["csv", "ics"]


def guess_format(name: str, text: str) -> CalendarFormat:
    """`ics` for a .ics file or one that starts BEGIN:VCALENDAR, else `csv`."""
    if name.lower().endswith((".ics", ".ical", ".ifb")) or text.lstrip().upper().startswith(
        "BEGIN:VCALENDAR"
    ):
        return "ics"
    return "csv"


def parse_calendar(text: str, fmt: str, *, school: str | None = None) -> list[CalendarEntry]:
    if fmt == "csv":
        return parse_csv(text, school=school)
    if fmt == "ics":
        return parse_ics(text, school=school)
    raise CalendarError(f"unknown calendar format {fmt!r} (expected csv or ics)")
