"""The managers' morning digest: at 08:00 Welsh time each working morning, one email to each
person who chose a digest, listing the deadline alerts in their scope since the last digest.

A loop in the service, not a Temporal schedule: the digest is this service's own reading of
its own tables, so a schedule would only add a worker and a workflow to call back in here. The
loop is safe as it is: a morning's run is claimed by inserting its date (`digest_runs`), so
replicas and restarts send it once; a service that was down at 08:00 sends it when it is back
(later that working day), and a day with no alerts sends nothing.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.bank_holidays import welsh_bank_holidays
from llwybr_clock.wales import WALES
from notifications.alerts import KIND_OF
from notifications.models import DigestRun, EmailJob, Notification, Recipient

log = logging.getLogger(__name__)
DIGEST_TIME = time(8, 0)
FIRST_LOOKBACK = timedelta(days=1)  # the first digest ever covers the day before


def is_working_day(day: Any) -> bool:
    """Monday to Friday, not a bank holiday in Wales (Regs reg 2(4)'s working day)."""
    return day.weekday() < 5 and day not in welsh_bank_holidays(day.year, day.year)


def digest_due(now: datetime) -> bool:
    local = now.astimezone(WALES)
    return is_working_day(local.date()) and local.time() >= DIGEST_TIME


async def _claim(session: AsyncSession, now: datetime) -> datetime | None:
    """Claim today's run; the start of the previous run (what the digest covers from), or
    None when another process already claimed today."""
    day = now.astimezone(WALES).date()
    previous = (
        await session.exec(
            select(DigestRun).where(DigestRun.day < day).order_by(col(DigestRun.day).desc())
        )
    ).first()
    claimed = await session.execute(
        insert(DigestRun)
        .values(day=day, started_at=now)
        .on_conflict_do_nothing()
        .returning(
            DigestRun.__table__.c.day  # type: ignore[attr-defined]
        )
    )
    if claimed.first() is None:
        return None
    return previous.started_at if previous else now - FIRST_LOOKBACK


async def send_digests(session: AsyncSession, *, now: datetime) -> int:
    """Queue this morning's digests (one email job each); how many were queued."""
    since = await _claim(session, now)
    if since is None:
        return 0
    people = (await session.exec(select(Recipient).where(col(Recipient.digest).is_(True)))).all()
    queued = 0
    for person in people:
        if "email" not in person.channels:
            continue
        notes = (
            await session.exec(
                select(Notification)
                .where(
                    Notification.recipient_id == person.id,
                    col(Notification.kind).in_(list(KIND_OF.values())),
                    col(Notification.created_at) >= since,
                    col(Notification.created_at) < now,
                )
                .order_by(col(Notification.created_at))
            )
        ).all()
        items = [n.params for n in notes if n.params]
        if not items:
            continue
        digest = Notification(
            id=str(uuid.uuid4()),
            case_id="-",
            kind="digest",
            channel="email",
            recipient_role=person.role,
            recipient_scope=person.scope,
            recipient_id=person.id,
            language=person.language,
            text_cy="",
            text_en="",
            source_event_id=f"digest:{now.astimezone(WALES).date()}",
            created_at=now,
        )
        session.add(digest)
        session.add(
            EmailJob(
                id=str(uuid.uuid4()),
                notification_id=digest.id,
                case_id="-",
                template="digest",
                params={"role": person.role, "scope": person.scope, "items": items},
                recipient_id=person.id,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    return queued


class DigestClock:
    """Checks once a minute whether this working morning's digest is due."""

    def __init__(
        self,
        sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        *,
        poll_seconds: float = 60.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions, self._poll, self._now = sessions, poll_seconds, now

    async def tick(self) -> int:
        now = self._now()
        if not digest_due(now):
            return 0
        async with self._sessions() as session:
            return await send_digests(session, now=now)

    async def run(self) -> None:
        while True:
            try:
                queued = await self.tick()
                if queued:
                    log.info("morning digests queued", extra={"count": queued})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest check failed; trying again")
            await asyncio.sleep(self._poll)
