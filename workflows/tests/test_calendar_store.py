"""The journey's calendar store in PostgreSQL: imports validated and logged with their
`CalendarChanged`, the files of the old store imported by the migration, and several workers
sharing it (an import seen by one is used by both)."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from journey_kit import (
    advance_to,
    at,
    case_input,
    clock_of,
    eventually,
    expected,
    journey_worker,
    new_case,
    start_case,
    status,
    today,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

import llwybr_workflows
from llwybr.stack import Endpoints
from llwybr_clock import CalendarError, StatutoryClock
from llwybr_clock.shipped import find_authority, shipped_calendar_text
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_contracts.journey import CalendarChangedFact
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.calendar_store import CalendarStore
from llwybr_workflows.journey.activities import CaseSetupLoader
from llwybr_workflows.journey.contracts import CaseSetupRequest
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.integration

MIGRATIONS = Path(llwybr_workflows.__file__).parent / "migrations"
FIXTURE = Path(__file__).parents[2] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"
CARDIFF = "W06000015"


def fixture_text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


@pytest_asyncio.fixture(loop_scope="session")
async def schema(
    infra: Endpoints, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """A fresh journey schema, migrated with an old file store under LLWYBR_HOME."""
    conwy = tmp_path / "calendars" / "W06000003"
    (conwy / "schools").mkdir(parents=True)
    (conwy / "authority.csv").write_text(fixture_text(), encoding="utf-8")
    (conwy / "schools" / "ysgol-1.csv").write_text("2026-11-20,2026-11-20,closure\n", "utf-8")
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))
    name = f"j_{unique}"
    engine = make_engine(infra.database_url, name)
    await migrate(engine, MIGRATIONS, name)
    await engine.dispose()
    yield name


def store_of(engine: AsyncEngine) -> CalendarStore:
    return CalendarStore(lambda: session_scope(engine), source="/llwybr/test")


@pytest_asyncio.fixture(loop_scope="session")
async def engines(infra: Endpoints, schema: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one schema: the database connections of two worker processes."""
    one, two = make_engine(infra.database_url, schema), make_engine(infra.database_url, schema)
    yield one, two
    await one.dispose()
    await two.dispose()


async def test_migration_imports_the_old_files(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    store = store_of(engines[0])
    conwy = await store.snapshot("Conwy")
    assert not conwy.illustrative
    assert (conwy.first, conwy.last) == (date(2026, 9, 2), date(2027, 7, 21))
    school = await store.snapshot("Conwy", "ysgol-1")
    assert not school.is_school_day(date(2026, 11, 20).toordinal())
    assert conwy.is_school_day(date(2026, 11, 20).toordinal())
    changes = await store.changes("Conwy")
    assert {(c.school, c.source) for c in changes} == {
        (None, "migration"),
        ("ysgol-1", "migration"),
    }


async def test_import_is_stored_logged_and_announced(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    store = store_of(engines[0])
    assert (await store.snapshot("Cardiff")).illustrative  # shipped until one is imported
    imported = await store.import_calendar(fixture_text(), "csv", "Cardiff")
    assert not imported.illustrative
    assert (await store.snapshot("caerdydd")).version == imported.version
    assert (await store.snapshot("Swansea")).illustrative  # other authorities untouched
    [change] = await store.changes("Cardiff")
    assert (change.authority, change.calendar_version, change.source) == (
        CARDIFF,
        imported.version,
        "cli",
    )
    async with session_scope(engines[0]) as session:
        rows = (await session.execute(text("SELECT key, envelope FROM outbox"))).all()
    assert [(r[0], r[1]["data"]) for r in rows] == [
        (
            CARDIFF,
            {"authority": CARDIFF, "school_ref": None, "calendar_version": imported.version},
        )
    ]


async def test_bad_import_writes_nothing(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    store = store_of(engines[0])
    good = await store.import_calendar(fixture_text(), "csv", "Newport")
    with pytest.raises(CalendarError, match="line 1"):
        await store.import_calendar("2026-09-01,nonsense,term\n", "csv", "Newport")
    with pytest.raises(CalendarError, match="school reference"):
        await store.import_calendar("2026-11-20,2026-11-20,closure\n", "csv", "Newport", "../x")
    assert (await store.snapshot("Newport")).version == good.version
    assert len(await store.changes("Newport")) == 1


async def test_two_workers_share_the_store(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    """Each worker caches setups; an import through one is used by both at once."""
    one, two = CaseSetupLoader(store_of(engines[0])), CaseSetupLoader(store_of(engines[1]))
    request = CaseSetupRequest(authority="Powys", school_ref=None, year=2026)
    env = ActivityEnvironment()
    before = [await env.run(w.load_case_setup, request) for w in (one, two)]
    assert all(s.school_calendar and s.school_calendar["illustrative"] for s in before)
    imported = await one.calendars.import_calendar(fixture_text(), "csv", "Powys")  # type: ignore[attr-defined]
    after = [await env.run(w.load_case_setup, request) for w in (one, two)]
    assert [s.school_calendar["version"] for s in after if s.school_calendar] == [
        imported.version,
        imported.version,
    ]


async def test_calendar_change_imported_elsewhere_moves_a_journeys_clock(
    skipping: WorkflowEnvironment, engines: tuple[AsyncEngine, AsyncEngine]
) -> None:
    """A snow closure imported through one connection (another worker, the CLI); the journey
    worker, on its own connection, recomputes the open clock on CalendarChanged. (The SDK
    allows one worker per task queue in a process: the two-worker cache test is above.)"""
    env = skipping
    one, two = CaseSetupLoader(store_of(engines[0])), CaseSetupLoader(store_of(engines[1]))
    async with journey_worker(env, two) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        before = expected("school-decision", start)
        await eventually(lambda: "clock-started" in outbox.names(wid))
        # close the schools for the first week after the start (three school days or more)
        shipped = shipped_calendar_text(find_authority(CARDIFF))
        closure = f"{start + timedelta(days=1)},{start + timedelta(days=7)},closure\n"
        snapshot = await one.calendars.import_calendar(shipped + closure, "csv", CARDIFF)  # type: ignore[attr-defined]
        await handle.signal(
            IdpJourney.calendar_changed,
            CalendarChangedFact(
                event_id="cal-2", authority=CARDIFF, calendar_version=snapshot.version
            ),
        )
        await eventually(lambda: len(outbox.of(wid, "ClockChanged")) == 1)
        after = StatutoryClock(
            "school-decision", start, await two.calendars.snapshot(CARDIFF, "sch-1")
        )
        changed = outbox.of(wid, "ClockChanged")[0]
        assert changed["previous_due"] == before.due().isoformat()  # type: ignore[union-attr]
        assert changed["due"] == after.due().isoformat()  # type: ignore[union-attr]
        assert after.due() > before.due()  # type: ignore[operator]
        assert (changed["change"], changed["calendar_version"]) == (
            "recomputed",
            after.calendar_version,
        )
        await advance_to(env, at(start + timedelta(days=1)))
        assert clock_of(await status(handle), "school-decision").due == after.due()
        await handle.terminate("test over")
