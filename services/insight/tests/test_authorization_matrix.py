"""Insight's authorization matrix: every route, for every role in and out of scope, with no
token and a garbage token (see tests/authz.py for what each cell asserts), on a Cardiff case
whose school-decision clock was met late: Cardiff's LA roles and Cardiff and Vale's health roles
see its case id in their breach list; nobody else, the national analyst included, ever does;
exports carry no case id for anyone."""

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
import pytest_asyncio

import insight.main
from llwybr.stack import Endpoints
from llwybr_contracts.events import CaseOpened, ClockMet, ClockStarted
from llwybr_contracts.states import CaseState
from llwybr_contracts.vocabulary import Role
from tests.authz import (
    CARDIFF,
    CARDIFF_AND_VALE,
    HEALTH_ROLES,
    LA_ROLES,
    Caller,
    Expect,
    Record,
    Tally,
    callers,
    cells,
    check,
    report,
    uncovered,
)

from .conftest import Desk, open_desk

pytestmark = pytest.mark.service

COMPOSED = insight.main.app
TALLY = Tally()
CASE = "insight-matrix-case-0001"
EXPORT = ("GET", "/api/v1/insight/exports/{name}.{fmt}")
KNOWN: dict[tuple[str, str, str], str] = {}


def sees_cardiff(caller: Caller) -> bool:
    return (caller.role in LA_ROLES and caller.scoped(f"la:{CARDIFF}")) or (
        caller.role in HEALTH_ROLES and caller.scoped(f"board:{CARDIFF_AND_VALE}")
    )


RECORD = Record("late Cardiff case", ids=(CASE,), sees=sees_cardiff)


@dataclass
class World:
    desk: Desk


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_desk(infra, tmp_path_factory.mktemp("insight-matrix")) as desk:
        desk.set_today(date(2026, 6, 30))
        start, due = date(2026, 1, 5), date(2026, 2, 20)
        clock = {"case_id": CASE, "rule": "school-decision"}
        for event in (
            CaseOpened(
                case_id=CASE, child_ref="c", authority=CARDIFF, received_on=start,
                state=CaseState.DECISION_PENDING, deciding_body="school", school_ref="6812345",
            ),
            ClockStarted(**clock, start=start, due=due),
            ClockMet(**clock, due=due, met_on=date(2026, 3, 2)),
        ):  # fmt: skip
            await desk.publish(event)
        yield World(desk)


PERIOD = {"from": "2025-07-01", "to": "2026-06-30"}
EXPECT = {
    ("GET", "/api/v1/insight/timeliness"): Expect(shows=(RECORD,), listing=True, query=PERIOD),
    ("GET", "/api/v1/insight/statutory"): Expect(shows=(RECORD,), listing=True, query=PERIOD),
}


def test_every_route_has_an_expectation() -> None:
    # The export's path names a file, not a record: its cells are tried below, by hand.
    assert uncovered(COMPOSED, [*EXPECT, EXPORT]) == []


@pytest.mark.parametrize(
    ("route", "caller"), [c for c in cells(COMPOSED, KNOWN) if c.values[0] != EXPORT]
)
async def test_cell(world: World, route: tuple[str, str], caller: Caller) -> None:
    leaks = await check(
        world.desk.http, world.desk.rt.settings, *route, EXPECT.get(route), caller, TALLY
    )
    assert not leaks, "\n".join(leaks)


def may_read(caller: Caller) -> bool:
    if caller.role is Role.WG_ANALYST:
        return caller.scoped("wales")
    return sees_cardiff(caller) or (
        caller.role in LA_ROLES | HEALTH_ROLES and caller.scope is not None
        and caller.scope.split(":")[0] in ("la", "board")
    )  # fmt: skip


@pytest.mark.parametrize("caller", callers(), ids=str)
async def test_exports_carry_no_case_id_for_anyone(world: World, caller: Caller) -> None:
    for path in ("timeliness.csv", "statutory.csv", "timeliness.ods"):
        r = await world.desk.http.get(
            f"/api/v1/insight/exports/{path}",
            params=PERIOD,
            headers=caller.headers(world.desk.rt.settings),
        )
        expected = 401 if not caller.authenticated else 200 if may_read(caller) else 403
        assert r.status_code == expected, (path, r.text[:200])
        body = r.content
        if r.status_code == 200 and path.endswith(".ods"):
            body = zipfile.ZipFile(io.BytesIO(body)).read("content.xml")
        assert CASE.encode() not in body


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('insight', TALLY, len(KNOWN))}")
