"""The advocacy service's authorization matrix: every route of the composed app, for every role
in and out of scope, with no token and a garbage token (see tests/authz.py for what each cell
asserts), on a Cardiff case of school 6812345 with consent to SNAP Cymru, a handoff accepted for
the matrix's own advocate, a disagreement and an appeal.

Cardiff's LA roles and the school's ALNCo see everything of the case; SNAP Cymru's advocates
see its handoffs and consents, and the assigned advocate records for the family; another
provider's advocates, other authorities and schools, health and national roles see nothing."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

import advocacy.main
from llwybr.stack import Endpoints
from llwybr_contracts.vocabulary import Role
from tests.authz import (
    CARDIFF,
    LA_ROLES,
    MISSING,
    SCHOOL,
    Caller,
    Expect,
    Record,
    Tally,
    Target,
    cells,
    check,
    report,
    routes,
    uncovered,
)

from .conftest import SNAP, Desk, open_desk

pytestmark = pytest.mark.service

COMPOSED = advocacy.main.app
TALLY = Tally()
KNOWN: dict[tuple[str, str, str], str] = {}
WINDOW = {
    "rule": "tribunal-appeal",
    "start": "2026-11-23",
    "due": "2027-01-19",
    "status": "running",
}


def case_team(caller: Caller) -> bool:
    return (caller.role in LA_ROLES and caller.scoped(f"la:{CARDIFF}")) or (
        caller.has(Role.SCHOOL_ALNCO) and caller.scoped(f"school:{SCHOOL}")
    )


def snap(caller: Caller) -> bool:
    """SNAP Cymru's advocate; in the matrix, the one assigned to the case."""
    return caller.has(Role.ADVOCATE) and caller.scoped(SNAP)


def team_or_snap(caller: Caller) -> bool:
    return case_team(caller) or snap(caller)


def service(caller: Caller) -> bool:
    return caller.has(Role.SERVICE)


@dataclass
class World:
    desk: Desk
    case: str
    consent: str  # one to withdraw (not the handoff's)
    handoff: str
    disagreement: str
    appeal: str


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_desk(infra, tmp_path_factory.mktemp("advocacy-matrix")) as desk:
        assert routes(desk.app) == routes(COMPOSED), "the matrix runs the app as composed"
        case_id = desk.case(clocks=[WINDOW])
        handoff_id = await desk.accepted(case_id, advocate=f"matrix-{Role.ADVOCATE.value}")
        consent_id = await desk.consent(case_id)
        officer = desk.officer()
        raised = await desk.http.post(
            f"/api/v1/cases/{case_id}/disagreements",
            json={"raised_on": "2026-11-25", "about": "decision"},
            headers=officer,
        )
        lodged = await desk.http.post(
            f"/api/v1/cases/{case_id}/appeals", json={"lodged_on": "2026-11-26"}, headers=officer
        )
        assert raised.status_code == lodged.status_code == 201
        yield World(
            desk,
            case_id,
            consent_id,
            handoff_id,
            raised.json()["disagreement_id"],
            lodged.json()["appeal_id"],
        )


def on(name: str, key: str, sees: Callable[[Caller], bool]) -> Callable[[World], Target]:
    def target(world: World) -> Target:
        value = getattr(world, name)
        return Target(Record(name, (value,), sees), path={key: value}, missing_path={key: MISSING})

    return target


def step(
    target: Callable[[World], Target],
    acts: Callable[[Caller], bool],
    body: dict[str, Any],
    refusal: str | None = None,
) -> Callable[[World], Expect]:
    def expect(world: World) -> Expect:
        return Expect(
            targets=(target(world),),
            acts=lambda caller, _: acts(caller),
            refusal=refusal,
            body=body,
        )

    return expect


def handoffs_listed(world: World) -> Expect:
    return Expect(
        shows=(Record("handoff", (world.handoff, world.case), team_or_snap),), listing=True
    )


def access_asked(world: World) -> Expect:
    query = {"advocate": f"matrix-{Role.ADVOCATE.value}", "provider": SNAP}
    return Expect(
        targets=(
            Target(
                Record("case", (world.case,), service),
                query={**query, "case_id": world.case},
                missing_query={**query, "case_id": MISSING},
            ),
        ),
    )


CONSENT = {
    "provider": SNAP,
    "given_by": "parent",
    "shares": ["decisions-and-clocks"],
    "valid_from": "2026-11-20",
    "evidence_ref": "SNAP-1",
}
CASE = "/api/v1/cases/{case_id}"
HANDOFF = "/api/v1/advocacy-handoffs/{handoff_id}"
EXPECT: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("POST", f"{CASE}/advocacy-consents"): step(
        on("case", "case_id", team_or_snap), team_or_snap, CONSENT
    ),
    ("POST", "/api/v1/advocacy-consents/{consent_id}/withdraw"): step(
        on("consent", "consent_id", team_or_snap), team_or_snap, {}
    ),
    ("POST", f"{CASE}/advocacy-handoffs"): step(
        on("case", "case_id", case_team),
        case_team,
        {"provider": SNAP, "reason": "considering-appeal"},
    ),
    ("GET", "/api/v1/advocacy-handoffs"): handoffs_listed,
    ("POST", f"{HANDOFF}/accept"): step(
        on("handoff", "handoff_id", team_or_snap),
        snap,
        {"advocate": "someone"},
        refusal="advocacy.provider-only",
    ),
    ("POST", f"{HANDOFF}/decline"): step(
        on("handoff", "handoff_id", team_or_snap),
        snap,
        {"reason": "no capacity"},
        refusal="advocacy.provider-only",
    ),
    ("POST", f"{CASE}/disagreements"): step(
        on("case", "case_id", team_or_snap),
        team_or_snap,
        {"raised_on": "2026-11-25", "about": "idp"},
    ),
    ("POST", "/api/v1/disagreements/{disagreement_id}/outcome"): step(
        on("disagreement", "disagreement_id", team_or_snap),
        team_or_snap,
        {"outcome": "resolved", "on": "2026-11-26"},
    ),
    ("POST", f"{CASE}/appeals"): step(
        on("case", "case_id", team_or_snap), team_or_snap, {"lodged_on": "2026-11-26"}
    ),
    ("POST", "/api/v1/appeals/{appeal_id}/decision"): step(
        on("appeal", "appeal_id", team_or_snap),
        team_or_snap,
        {"decided_on": "2026-11-27", "outcome": "dismissed"},
    ),
    ("GET", "/api/v1/internal/advocate-access"): access_asked,
}


def test_every_route_has_an_expectation() -> None:
    assert uncovered(COMPOSED, EXPECT) == []


@pytest.mark.parametrize(("route", "caller"), cells(COMPOSED, KNOWN))
async def test_cell(world: World, route: tuple[str, str], caller: Caller) -> None:
    make = EXPECT.get(route)
    expect = make(world) if make else None
    leaks = await check(world.desk.http, world.desk.rt.settings, *route, expect, caller, TALLY)
    assert not leaks, "\n".join(leaks)


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('advocacy', TALLY, len(KNOWN))}")
