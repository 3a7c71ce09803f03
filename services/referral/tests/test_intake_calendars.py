"""Intake's calendars from the worker: asked once per authority, school and year while fresh
(concurrent referrals share one request), asked again after the authority's CalendarChanged,
and a worker that cannot answer makes intake wait for the journey instead of failing the
referral (and is not asked again by every referral meanwhile)."""

import asyncio
from datetime import date
from pathlib import Path

import httpx
import pytest

from llwybr_clock import StatutoryClock
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.shipped import find_authority
from llwybr_common.settings import Settings
from llwybr_contracts.events import CalendarChanged
from llwybr_workflows.calendar_store import snapshot_from
from referral.calendars import Cache, WorkerCalendars, calendar_changed

from .conftest import CARDIFF, Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

SCHOOL = snapshot_from(find_authority(CARDIFF), "6812345", ())
BANK = bank_holiday_snapshot(2025, 2030)


def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, service_urls={"worker": "http://worker"})


def worker(asked: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        body = {"authority": CARDIFF, "school": request.url.params.get("school"), "year": 2026,
                "school_calendar": SCHOOL.to_dict(), "bank_holidays": BANK.to_dict()}  # fmt: skip
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


async def test_one_request_per_key_while_fresh_and_again_after_calendar_changed(
    tmp_path: Path,
) -> None:
    asked: list[httpx.Request] = []
    cache = Cache()
    source = WorkerCalendars(settings(tmp_path), cache=cache, transport=worker(asked))
    found = await asyncio.gather(*(source.calendars(CARDIFF, "6812345", 2026) for _ in range(8)))
    assert {f.school.version for f in found if f and f.school} == {SCHOOL.version}
    assert len(asked) == 1
    assert asked[0].url.path == f"/api/v1/internal/journey-calendars/{CARDIFF}"
    assert asked[0].headers["Authorization"].startswith("Bearer ")
    await source.calendars(CARDIFF, "6812345", 2026)
    await source.calendars(CARDIFF, None, 2026)  # another key
    assert len(asked) == 2

    import referral.calendars as module

    module.CACHE, saved = cache, module.CACHE
    try:
        event = CalendarChanged(authority=CARDIFF, school_ref=None, calendar_version="cal-x")
        await calendar_changed(None, None, event)  # type: ignore[arg-type]
    finally:
        module.CACHE = saved
    await source.calendars(CARDIFF, "6812345", 2026)
    assert len(asked) == 3


async def test_a_worker_that_cannot_answer_gives_none_and_is_not_asked_again_at_once(
    tmp_path: Path,
) -> None:
    asked: list[httpx.Request] = []
    source = WorkerCalendars(settings(tmp_path), cache=Cache(), transport=worker(asked, 503))
    assert await source.calendars(CARDIFF, None, 2026) is None
    assert await source.calendars(CARDIFF, None, 2026) is None
    assert len(asked) == 1


async def test_without_calendars_intake_waits_for_the_journeys_own_date(
    desk: Desk, tmp_path: Path
) -> None:
    asked: list[httpx.Request] = []
    desk.app.state.calendars = WorkerCalendars(
        settings(tmp_path), cache=Cache(), transport=worker(asked, 503)
    )
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    assert r.status_code == 201, r.text
    assert r.json()["clock"]["due"] == desk.journey.due.isoformat()  # type: ignore[union-attr]
    assert len(asked) == 1


async def test_with_calendars_intake_answers_with_its_own_count_at_once(
    desk: Desk, tmp_path: Path
) -> None:
    asked: list[httpx.Request] = []
    desk.app.state.calendars = WorkerCalendars(
        settings(tmp_path), cache=Cache(), transport=worker(asked)
    )
    desk.journey.due = date(2099, 1, 1)  # the fake journey is not asked: this never shows
    body = referral(source="school", school={"ref": "6812345"})
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    clock = r.json()["clock"]
    due = StatutoryClock(rule="school-decision", start=date(2026, 11, 20), calendar=SCHOOL).due()
    assert (clock["rule"], clock["due"], clock["why_null"]) == ("school-decision", str(due), None)
    assert asked[0].url.params["school"] == "6812345" and asked[0].url.params["year"] == "2026"


async def test_a_slow_first_answer_fills_the_cache_for_the_next_referral(tmp_path: Path) -> None:
    asked: list[httpx.Request] = []
    release = asyncio.Event()
    quick = worker(asked)

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return await quick.handle_async_request(request)

    source = WorkerCalendars(
        settings(tmp_path), cache=Cache(), transport=httpx.MockTransport(slow), wait=0.01
    )
    assert await source.calendars(CARDIFF, None, 2026) is None  # intake waits for the journey
    release.set()
    for _ in range(100):
        if (found := await source.calendars(CARDIFF, None, 2026)) is not None:
            break
        await asyncio.sleep(0.01)
    assert found is not None and found.bank.version == BANK.version
    assert len(asked) == 1, "the slow answer was kept, not asked for again"
