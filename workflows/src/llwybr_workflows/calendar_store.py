"""The journey context's store of imported school calendars, in its PostgreSQL schema (tables
`journey_calendars` and `journey_calendar_changes`), so every worker counts on the same dates.

An authority's imported calendar replaces the shipped illustrative one; a school's rows (a
closure, a different INSET day) add to it with the precedence docs/rules.md sets out.

The API a caller needs (the CLI today, a console calendar-admin page through an endpoint
later): `CalendarStore.import_calendar` (validates, stores and queues `CalendarChanged` in the
journey outbox, one transaction), `snapshot` (show), `changes` (the import log). Not workflow
code: activities and the CLI call it. `ShippedCalendars` answers with the shipped calendars
only, for tools and tests that run without a database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.calendar import CalendarEntry, Kind, build_snapshot
from llwybr_clock.csv_import import is_illustrative, parse_csv
from llwybr_clock.errors import CalendarError
from llwybr_clock.formats import parse_calendar
from llwybr_clock.shipped import Authority, find_authority, shipped_calendar_text
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_common.outbox import add_event
from llwybr_contracts.events import CalendarChanged
from llwybr_workflows.models import CalendarChange, StoredCalendar

_SCHOOL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FORMATS = ("csv", "ics")

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class CalendarText:
    """One stored calendar: the authority's (school None) or a school's rows."""

    authority: str
    school: str | None
    format: str
    text: str


@dataclass(frozen=True)
class ChangeView:
    id: int
    authority: str
    school: str | None
    format: str
    calendar_version: str
    imported_at: datetime
    source: str


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
    return _built(authority, school, stored)[0]


def _built(
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

    async def snapshot(self, authority: str, school: str | None = None) -> CalendarSnapshot:
        return snapshot_from(find_authority(authority), school, ())

    async def stamp(self, ons_code: str) -> object:
        return None


SHIPPED = ShippedCalendars()


class CalendarStore:
    """The store in the journey schema; `sessions()` opens one unit of work (commit on exit)."""

    def __init__(self, sessions: Sessions, *, source: str = "/llwybr/cli") -> None:
        self._sessions = sessions
        self._source = source

    async def _stored(self, session: AsyncSession, ons_code: str) -> list[CalendarText]:
        rows = (
            await session.execute(
                select(StoredCalendar).where(StoredCalendar.authority == ons_code)  # type: ignore[arg-type]
            )
        ).scalars()
        return [CalendarText(r.authority, r.school or None, r.format, r.text) for r in rows]

    async def snapshot(self, authority: str, school: str | None = None) -> CalendarSnapshot:
        found = find_authority(authority)
        async with self._sessions() as session:
            stored = await self._stored(session, found.ons_code)
        return snapshot_from(found, school, stored)

    async def stamp(self, ons_code: str) -> object:
        async with self._sessions() as session:
            return (
                await session.execute(
                    text("SELECT max(id) FROM journey_calendar_changes WHERE authority = :a"),
                    {"a": ons_code},
                )
            ).scalar()

    async def preview(
        self, calendar: str, fmt: str, authority: str, school: str | None = None
    ) -> Preview:
        """What importing this calendar would change, writing nothing: the same checks as
        `import_calendar`, the current and the proposed snapshot, and the proposed terms."""
        found = _checked(calendar, fmt, authority, school)
        async with self._sessions() as session:
            stored = await self._stored(session, found.ons_code)
        proposed, terms = _proposed(
            found, school, stored, CalendarText(found.ons_code, school, fmt, calendar)
        )
        return Preview(snapshot_from(found, school, stored), proposed, terms)

    async def import_calendar(
        self, calendar: str, fmt: str, authority: str, school: str | None = None, *,
        by: str = "cli", also: Callable[[AsyncSession], object] | None = None,
    ) -> CalendarSnapshot:  # fmt: skip
        """Validate and store a calendar, log the change and queue `CalendarChanged` (one
        transaction: a bad calendar, or one that breaks the school's, writes nothing); `also`
        writes the caller's audit record in the same transaction."""
        found = _checked(calendar, fmt, authority, school)
        now = datetime.now(UTC)
        async with self._sessions() as session:
            # one import at a time per authority: the snapshot is built from what is stored
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:a))"), {"a": found.ons_code}
            )
            snapshot, _ = _proposed(
                found, school, await self._stored(session, found.ons_code),
                CalendarText(found.ons_code, school, fmt, calendar),
            )  # fmt: skip
            await session.merge(
                StoredCalendar(
                    authority=found.ons_code, school=school or "", format=fmt, text=calendar,
                    imported_at=now,
                )
            )  # fmt: skip
            session.add(
                CalendarChange(
                    authority=found.ons_code, school=school or "", format=fmt,
                    calendar_version=snapshot.version, imported_at=now, source=by,
                )
            )  # fmt: skip
            add_event(
                session,
                CalendarChanged(
                    authority=found.ons_code, school_ref=school, calendar_version=snapshot.version
                ),
                event_id=str(uuid.uuid4()),
                source=self._source,
                subject=found.ons_code,
            )
            if also is not None:
                also(session)
        return snapshot

    async def changes(self, authority: str | None = None, limit: int = 50) -> list[ChangeView]:
        """The latest imports, newest first (of one authority when given)."""
        query = select(CalendarChange).order_by(CalendarChange.id.desc()).limit(limit)  # type: ignore[union-attr]
        if authority is not None:
            query = query.where(CalendarChange.authority == find_authority(authority).ons_code)  # type: ignore[arg-type]
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        return [
            ChangeView(
                id=r.id or 0, authority=r.authority, school=r.school or None, format=r.format,
                calendar_version=r.calendar_version, imported_at=r.imported_at, source=r.source,
            )
            for r in rows
        ]  # fmt: skip


@dataclass(frozen=True)
class Preview:
    current: CalendarSnapshot
    proposed: CalendarSnapshot
    terms: list[tuple[date, date]]  # of the proposed calendar


def _checked(calendar: str, fmt: str, authority: str, school: str | None) -> Authority:
    """The authority, once the file reads as a calendar of its format (CalendarError if not)."""
    if fmt not in FORMATS:
        raise CalendarError(f"unknown calendar format {fmt!r} (expected csv or ics)")
    found = find_authority(authority)
    parse_calendar(calendar, fmt, school=check_school(school) if school else None)
    return found


def _proposed(
    found: Authority, school: str | None, stored: list[CalendarText], new: CalendarText
) -> tuple[CalendarSnapshot, list[tuple[date, date]]]:
    """The snapshot and terms with `new` in place of what is stored for its school (or the
    authority); a school's rows must leave the authority's own calendar building too."""
    rows = [c for c in stored if c.school != school] + [new]
    built = _built(found, school, rows)
    if school is not None:
        snapshot_from(found, None, rows)
    return built


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
