"""School calendars as snapshots, pure: what the journey's store holds turned into the snapshot
clocks count on, and the shipped calendars alone (`ShippedCalendars`) for tools and tests that
run without a database.

No SQLAlchemy here: `llwybr clock` imports this module and must answer in a fraction of a
second; the store in PostgreSQL (calendar_store.py) builds on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from llwybr_clock.calendar import CalendarEntry, Kind, build_snapshot
from llwybr_clock.csv_import import is_illustrative, parse_csv
from llwybr_clock.errors import CalendarError
from llwybr_clock.formats import parse_calendar
from llwybr_clock.shipped import Authority, find_authority, shipped_calendar_text
from llwybr_clock.snapshot import CalendarSnapshot

_SCHOOL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FORMATS = ("csv", "ics")


@dataclass(frozen=True)
class CalendarText:
    """One stored calendar: the authority's (school None) or a school's rows."""

    authority: str
    school: str | None
    format: str
    text: str


def check_school(school: str) -> str:
    if not _SCHOOL_REF.match(school) or ".." in school:
        raise CalendarError(
            f"school reference {school!r} must be letters, digits, '-', '_' or '.' (max 64)"
        )
    return school


def snapshot_from(
    authority: Authority, school: str | None, stored: Iterable[CalendarText]
) -> CalendarSnapshot:
    """Pure: the authority's calendar (imported, else shipped illustrative) plus the school's."""
    return built(authority, school, stored)[0]


def built(
    authority: Authority, school: str | None, stored: Iterable[CalendarText]
) -> tuple[CalendarSnapshot, list[tuple[date, date]]]:
    """The snapshot and its term spans (first and last day, in order)."""
    own = {(c.school or None): c for c in stored if c.authority == authority.ons_code}
    found = own.get(None)
    if found is not None:
        entries: list[CalendarEntry] = parse_calendar(found.text, found.format)
        illustrative = False
    else:
        shipped = shipped_calendar_text(authority)
        entries, illustrative = parse_csv(shipped), is_illustrative(shipped)
    if school is not None:
        rows = own.get(check_school(school))
        if rows is not None:
            entries += parse_calendar(rows.text, rows.format, school=school)
    snapshot = build_snapshot(
        entries,
        label=authority.name_en,
        authority=authority.ons_code,
        school=school,
        illustrative=illustrative,
    )
    terms = {
        (e.start, e.end)
        for e in entries
        if e.kind is Kind.TERM and (e.school is None or e.school == school)
    }
    return snapshot, sorted(terms)


class CalendarSource(Protocol):
    async def snapshot(self, authority: str, school: str | None = None) -> CalendarSnapshot: ...

    async def stamp(self, ons_code: str) -> object:
        """Changes whenever the authority's stored calendars change (workers' cache key)."""
        ...


class ShippedCalendars:
    """The shipped calendars only: nothing imported (no database)."""

    def snapshot_now(self, authority: str, school: str | None = None) -> CalendarSnapshot:
        """The same answer without an event loop (the CLI)."""
        return snapshot_from(find_authority(authority), school, ())

    async def snapshot(self, authority: str, school: str | None = None) -> CalendarSnapshot:
        return self.snapshot_now(authority, school)

    async def stamp(self, ons_code: str) -> object:
        return None


SHIPPED = ShippedCalendars()


def files_under(home: Path) -> list[CalendarText]:
    """Calendars of the file store this one replaced (`<home>/calendars/<ONS code>/
    authority.<fmt>` and `.../schools/<ref>.<fmt>`): what migration 0002 imports."""
    root = home / "calendars"
    found: list[CalendarText] = []
    if not root.is_dir():
        return found
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        for fmt in FORMATS:
            path = directory / f"authority.{fmt}"
            if path.is_file():
                found.append(CalendarText(directory.name, None, fmt, path.read_text("utf-8")))
        schools = directory / "schools"
        if schools.is_dir():
            for path in sorted(schools.iterdir()):
                stem, _, fmt = path.name.rpartition(".")
                if fmt in FORMATS and path.is_file():
                    found.append(CalendarText(directory.name, stem, fmt, path.read_text("utf-8")))
    return found
