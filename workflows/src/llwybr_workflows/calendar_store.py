"""The journey context's store of imported school calendars (files under the state directory).

Layout: `$LLWYBR_HOME/calendars/<ONS code>/authority.<csv|ics>` replaces the shipped illustrative
calendar for that authority; `.../<ONS code>/schools/<school ref>.<csv|ics>` adds a school's own
rows (a closure, a different INSET day) on top of it, with the precedence docs/rules.md sets out.

`import_calendar` validates, stores and returns the new snapshot; the caller publishes
`CalendarChanged` with its version. Not workflow code: activities and the CLI call this.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from llwybr_clock.calendar import CalendarEntry, build_snapshot
from llwybr_clock.csv_import import is_illustrative, parse_csv
from llwybr_clock.errors import CalendarError
from llwybr_clock.formats import parse_calendar
from llwybr_clock.shipped import Authority, find_authority, shipped_calendar_text
from llwybr_clock.snapshot import CalendarSnapshot

_SCHOOL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FORMATS = ("csv", "ics")


def calendars_home(home: Path | None = None) -> Path:
    if home is not None:
        return home
    return Path(os.environ.get("LLWYBR_HOME", ".llwybr")) / "calendars"


def _check_school(school: str) -> str:
    if not _SCHOOL_REF.match(school) or ".." in school:
        raise CalendarError(
            f"school reference {school!r} must be letters, digits, '-', '_' or '.' (max 64)"
        )
    return school


def _stored(directory: Path, stem: str) -> tuple[str, str] | None:
    for fmt in _FORMATS:
        path = directory / f"{stem}.{fmt}"
        if path.is_file():
            return path.read_text(encoding="utf-8"), fmt
    return None


def _authority_dir(authority: Authority, home: Path | None) -> Path:
    return calendars_home(home) / authority.ons_code


def _entries(
    authority: Authority, school: str | None, home: Path | None
) -> tuple[list[CalendarEntry], bool]:
    directory = _authority_dir(authority, home)
    stored = _stored(directory, "authority")
    if stored is not None:
        text, fmt = stored
        entries, illustrative = parse_calendar(text, fmt), False
    else:
        text = shipped_calendar_text(authority)
        entries, illustrative = parse_csv(text), is_illustrative(text)
    if school is not None:
        school_file = _stored(directory / "schools", _check_school(school))
        if school_file is not None:
            entries += parse_calendar(school_file[0], school_file[1], school=school)
    return entries, illustrative


def load_snapshot(
    authority: str, school: str | None = None, *, home: Path | None = None
) -> CalendarSnapshot:
    """The authority's calendar (imported, else shipped illustrative) plus the school's rows."""
    found = find_authority(authority)
    entries, illustrative = _entries(found, school, home)
    return build_snapshot(
        entries,
        label=found.name_en,
        authority=found.ons_code,
        school=school,
        illustrative=illustrative,
    )


def import_calendar(
    text: str, fmt: str, authority: str, school: str | None = None, *, home: Path | None = None
) -> CalendarSnapshot:
    """Validate and store a calendar; return the snapshot clocks should now use."""
    if fmt not in _FORMATS:
        raise CalendarError(f"unknown calendar format {fmt!r} (expected csv or ics)")
    found = find_authority(authority)
    parse_calendar(text, fmt, school=_check_school(school) if school else None)
    directory = _authority_dir(found, home)
    if school is None:
        target, stem = directory, "authority"
    else:
        target, stem = directory / "schools", school
    # build first from what would be stored, so a bad combination is refused before writing
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{stem}.{fmt}"
    previous = {f: (target / f"{stem}.{f}") for f in _FORMATS}
    backups = {f: p.read_text(encoding="utf-8") for f, p in previous.items() if p.is_file()}
    for p in previous.values():
        p.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        return load_snapshot(found.ons_code, school, home=home)
    except CalendarError:
        path.unlink(missing_ok=True)
        for f, old in backups.items():
            previous[f].write_text(old, encoding="utf-8")
        raise
