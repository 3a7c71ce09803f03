"""The journey context's store of imported school calendars, in its PostgreSQL schema (tables
`journey_calendars` and `journey_calendar_changes`), so every worker counts on the same dates.

An authority's imported calendar replaces the shipped illustrative one; a school's rows (a
closure, a different INSET day) add to it with the precedence docs/rules.md sets out.

The API a caller needs (the CLI today, a console calendar-admin page through an endpoint
later): `CalendarStore.import_calendar` (validates, stores and queues `CalendarChanged` in the
journey outbox, one transaction), `snapshot` (show), `changes` (the import log). Not workflow
code: activities and the CLI call it. The pure part (building snapshots, `ShippedCalendars`
for tools and tests without a database) is calendar_snapshots.py, which needs no SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.errors import CalendarError
from llwybr_clock.formats import parse_calendar
from llwybr_clock.shipped import Authority, find_authority
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_common.outbox import add_event
from llwybr_contracts.events import CalendarChanged
from llwybr_workflows.calendar_snapshots import (  # noqa: F401 (re-exported: callers' home)
    FORMATS,
    SHIPPED,
    CalendarSource,
    CalendarText,
    ShippedCalendars,
    built,
    check_school,
    files_under,
    snapshot_from,
)
from llwybr_workflows.models import CalendarChange, StoredCalendar
from llwybr_workflows.shared_reads import SharedReads

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class ChangeView:
    id: int
    authority: str
    school: str | None
    format: str
    calendar_version: str
    imported_at: datetime
    source: str


class CalendarStore:
    """The store in the journey schema; `sessions()` opens one unit of work (commit on exit)."""

    def __init__(self, sessions: Sessions, *, source: str = "/llwybr/cli") -> None:
        self._sessions = sessions
        self._source = source
        self._stamps: SharedReads[str, object] = SharedReads(self._read_stamp)

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
        """The authority's latest change id (a worker's cache key for its snapshot); callers
        at the same moment share one query (shared_reads.py: a recompute asks 10,000 times)."""
        return await self._stamps.get(ons_code)

    async def _read_stamp(self, ons_code: str) -> object:
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
    result = built(found, school, rows)
    if school is not None:
        snapshot_from(found, None, rows)
    return result
