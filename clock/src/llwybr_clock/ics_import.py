"""Reading a calendar from iCalendar text (docs/rules.md s.3).

Each all-day VEVENT covers DTSTART up to but not including DTEND (no DTEND: the one day). Its
kind comes from CATEGORIES when that names a kind, otherwise from SUMMARY keywords
(case-insensitive substrings) in the order closure, INSET, holiday, term.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from llwybr_clock.calendar import CalendarEntry, Kind, validate_entries
from llwybr_clock.errors import CalendarError

# Checked in this order; the first kind with a matching keyword wins.
SUMMARY_KEYWORDS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (Kind.CLOSURE, ("closure", "closed", "ar gau")),
    (Kind.INSET, ("inset", "training", "hms")),
    (Kind.HOLIDAY, ("holiday", "half term", "half-term", "break", "gwyliau", "hanner tymor")),
    (Kind.TERM, ("term", "tymor")),
)


def kind_from_summary(summary: str) -> Kind | None:
    text = summary.lower()
    for kind, words in SUMMARY_KEYWORDS:
        if any(word in text for word in words):
            return kind
    return None


def _categories(event: Any) -> list[str]:
    value = event.get("CATEGORIES")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for v in values:
        cats = getattr(v, "cats", None)
        if cats is not None:
            names.extend(str(c) for c in cats)
        else:
            names.extend(str(v).split(","))
    return [n.strip().lower() for n in names]


def _day(event: Any, prop: str, name: str) -> date | None:
    value = event.get(prop)
    if value is None:
        return None
    try:
        dt = value.dt
    except AttributeError:
        raise CalendarError(f"event {name}: unreadable {prop}") from None
    if isinstance(dt, datetime):
        return dt.date()
    if isinstance(dt, date):
        return dt
    raise CalendarError(f"event {name}: unreadable {prop} {dt!r}")


def parse_ics(text: str, *, school: str | None = None) -> list[CalendarEntry]:
    try:
        import icalendar  # only .ics files need it, and it takes a while to import

        cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise CalendarError(f"unreadable iCalendar file: {exc}") from None
    entries: list[CalendarEntry] = []
    for event in cal.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "")).strip()
        uid = str(event.get("UID", "")).strip()
        name = " ".join(p for p in (f"UID {uid}" if uid else "", f"{summary!r}") if p)
        try:
            start = _day(event, "DTSTART", name)
            end = _day(event, "DTEND", name)
        except ValueError:
            raise CalendarError(f"event {name}: unreadable date") from None
        if start is None:
            raise CalendarError(f"event {name}: no DTSTART")
        if end is None:
            last = start  # a missing DTEND means the one day
        elif end < start:
            raise CalendarError(
                f"event {name}: ends {end.isoformat()} before it starts {start.isoformat()}"
            )
        else:
            last = max(start, end - timedelta(days=1))  # DTEND is exclusive
        kind = next((Kind(c) for c in _categories(event) if c in Kind._value2member_map_), None)
        if kind is None:
            kind = kind_from_summary(summary)
        if kind is None:
            raise CalendarError(
                f"event {name}: unknown kind (no CATEGORIES term/holiday/inset/closure and no "
                "keyword in SUMMARY)"
            )
        entries.append(CalendarEntry(start, last, kind, school, f"event {name}"))
    validate_entries(entries)
    return entries
