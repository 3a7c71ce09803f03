"""The calendars a new journey will count its first clock on, so intake can answer a referral
with the first due date without waiting for the journey (docs/rules.md, "The first clock at
intake").

The journey context owns the calendars (its schema; this service may not read it), so they are
asked of the worker's `GET /api/v1/internal/journey-calendars/{authority}` with this service's
own credential, which serves them exactly as the journey's `load_case_setup` loads them. Kept per
(authority, school, year) for `TTL_SECONDS`, and dropped at once when this process hears the
authority's `CalendarChanged` (only one replica of a consumer group hears it: the TTL bounds the
others). A stale answer is harmless: the journey stays the authority and the case list follows
its `ClockStarted`. A worker that cannot answer quickly gives None, and intake waits briefly for
the journey instead, as before.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_common.auth import service_token
from llwybr_common.http_client import service_client
from llwybr_common.settings import Settings
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CalendarChanged

log = logging.getLogger(__name__)

SERVICE = "referral"
TTL_SECONDS = 60.0
DOWN_SECONDS = 5.0  # after a failed fetch, intake waits for the journey this long without asking
Key = tuple[str, str | None, int]  # authority (ONS code), school or FEI reference, year


@dataclass(frozen=True)
class Calendars:
    school: CalendarSnapshot | None  # the authority's (and school's) term dates
    bank: CalendarSnapshot  # Welsh bank holidays


class CalendarSource(Protocol):
    async def calendars(self, authority: str, school: str | None, year: int) -> Calendars | None:
        """The snapshots, or None when they cannot be had quickly."""
        ...


class Cache:
    """Snapshots by key with their expiry; one per process, so `CalendarChanged` reaches it."""

    def __init__(self) -> None:
        self.entries: dict[Key, tuple[float, Calendars]] = {}

    def get(self, key: Key) -> Calendars | None:
        found = self.entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: Key, calendars: Calendars) -> None:
        self.entries[key] = (time.monotonic() + TTL_SECONDS, calendars)

    def forget(self, authority: str) -> None:
        for key in [k for k in self.entries if k[0] == authority]:
            del self.entries[key]


CACHE = Cache()


async def calendar_changed(
    session: AsyncSession, envelope: CloudEvent, event: CalendarChanged
) -> None:
    """An authority's (or one of its schools') term dates changed: ask again next time."""
    CACHE.forget(event.authority)


class WorkerCalendars:
    """The worker's answer, cached; concurrent referrals for one key share one request."""

    def __init__(
        self,
        settings: Settings,
        *,
        cache: Cache = CACHE,
        transport: httpx.AsyncBaseTransport | None = None,
        wait: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self._settings = settings
        self._base = settings.service_urls.get("worker")
        self._cache, self._transport = cache, transport
        self._wait, self._timeout = wait, timeout
        self._pending: dict[Key, asyncio.Task[Calendars | None]] = {}
        self._down_until = 0.0

    async def calendars(self, authority: str, school: str | None, year: int) -> Calendars | None:
        key = (authority, school, year)
        found = self._cache.get(key)
        if found is not None:
            return found
        if not self._base or time.monotonic() < self._down_until:
            return None
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(key))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        try:
            # a slow first answer (a cold worker builds the snapshot) fills the cache for the
            # next referral; this one waits for the journey instead
            return await asyncio.wait_for(asyncio.shield(task), self._wait)
        except TimeoutError:
            return None

    async def _fetch(self, key: Key) -> Calendars | None:
        authority, school, year = key
        headers = {"Authorization": f"Bearer {service_token(self._settings, SERVICE)}"}
        params: dict[str, str | int] = {"year": year}
        if school:
            params["school"] = school
        try:
            async with service_client(
                self._base or "", transport=self._transport, timeout=self._timeout
            ) as http:
                response = await http.get(
                    f"/api/v1/internal/journey-calendars/{authority}",
                    params=params,
                    headers=headers,
                )
            response.raise_for_status()
            body = response.json()
            calendars = Calendars(
                school=CalendarSnapshot.from_dict(body["school_calendar"])
                if body["school_calendar"]
                else None,
                bank=CalendarSnapshot.from_dict(body["bank_holidays"]),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("worker did not serve calendars", extra={"error": type(exc).__name__})
            answered = isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500
            if not answered:  # down or failing: do not make every referral wait to find out
                self._down_until = time.monotonic() + DOWN_SECONDS
            return None
        self._cache.put(key, calendars)
        return calendars
