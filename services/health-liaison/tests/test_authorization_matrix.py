"""The health-liaison service's authorization matrix: every route of the composed app (the
inbox and the FHIR R4 endpoint), for every role in and out of scope, with no token and a garbage
token, on a s.20 request from Cardiff to Cardiff and Vale that has been assigned and answered
(see tests/authz.py for what each cell asserts).

The board sees the request with its learner, reason, assignee and clinical notes; Cardiff's
officers see only its outcome; nobody else sees it at all, and on FHIR only the board."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import pytest_asyncio

import health_liaison.main
from llwybr.stack import Endpoints
from llwybr_contracts.events import HealthInputRequested
from llwybr_contracts.vocabulary import Role
from tests.authz import (
    CARDIFF,
    CARDIFF_AND_VALE,
    HEALTH_ROLES,
    LA_ROLES,
    MISSING,
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

from .conftest import Desk, open_desk
from .test_detail_and_claim_check import referral_stub, with_referral
from .test_fhir import answered

pytestmark = pytest.mark.service

COMPOSED = health_liaison.main.app
TALLY = Tally()

# Who may take each step, within their own board.
ASSIGNERS = frozenset({Role.DECLO, Role.HEALTH_LIAISON, Role.BOARD_ALN_LEAD})
RESPONDERS = frozenset({Role.DECLO, Role.HEALTH_LIAISON, Role.CLINICIAN})
IMPRACTICAL_RECORDERS = frozenset({Role.DECLO, Role.HEALTH_LIAISON, Role.BOARD_ALN_LEAD})

# No known leaks; a cell found leaking goes here as (method, path, caller): reason, xfail strict.
KNOWN: dict[tuple[str, str, str], str] = {}


def the_board(caller: Caller) -> bool:
    return caller.role in HEALTH_ROLES and caller.scoped(f"board:{CARDIFF_AND_VALE}")


def board_or_authority(caller: Caller) -> bool:
    return the_board(caller) or (caller.role in LA_ROLES and caller.scoped(f"la:{CARDIFF}"))


@dataclass
class World:
    desk: Desk
    request: Record
    task: dict[str, Any]
    patient: dict[str, Any]
    assignee: str


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_desk(infra, tmp_path_factory.mktemp("health-matrix")) as desk:
        assert routes(desk.app) == routes(COMPOSED), "the matrix runs the app as composed"
        desk.set_today(date(2026, 11, 27))
        with_referral(desk, referral_stub([]))
        request_id = f"hm-{uuid.uuid4().hex[:8]}"
        case_id = f"case-{request_id}"
        event = HealthInputRequested(
            case_id=case_id, request_id=request_id, authority=CARDIFF, start=date(2026, 11, 16)
        )
        await desk.publish(event, case_id=case_id)
        declo = desk.declo()
        base = f"/api/v1/health-requests/{request_id}"
        detail = await desk.http.get(base, headers=declo)  # keeps the learner's details
        assert detail.status_code == 200, detail.text
        task = await desk.http.get(f"/fhir/R4/Task/{request_id}", headers=declo)
        assert task.status_code == 200, task.text
        assignee = f"clinician-{uuid.uuid4().hex[:8]}"
        notes = f"Clinical-{uuid.uuid4().hex[:8]}"
        for step, body in (
            ("assign", {"kind": "clinician", "assignee": assignee}),
            (
                "response",
                {
                    "outcome": "service-identified",
                    "service": "Occupational therapy",
                    "welsh_delivery": True,
                    "notes": notes,
                },
            ),
        ):
            r = await desk.http.post(f"{base}/{step}", json=body, headers=declo)
            assert r.status_code == 200, r.text
        # From the referral stub: the learner and the reason stay with the board.
        personal = ("Cerys", "Jones", "2019-05-01", "9434765919", "Speech and language delay")
        record = Record(
            "Cardiff and Vale's request",
            (request_id, case_id),
            board_or_authority,
            (*personal, assignee, notes),
            sees_personal=the_board,
        )
        # Bodies that name nothing by id, so the same body is valid for any id in the URL.
        task_body = {k: v for k, v in answered(task.json()).items() if k != "id"}
        patient = {
            "resourceType": "Patient",
            "name": [{"family": "Jones", "given": ["Cerys"]}],
            "birthDate": "2019-05-01",
        }
        yield World(desk, record, task_body, patient, assignee)


def on_request(world: World, *, fhir: bool = False) -> tuple[Target, ...]:
    record = world.request.seen_by(the_board) if fhir else world.request
    return (
        Target(
            record,
            path={"request_id": world.request.ids[0]},
            missing_path={"request_id": MISSING},
        ),
    )


def on_patient(world: World) -> tuple[Target, ...]:
    return (
        Target(
            world.request.seen_by(the_board),
            path={"case_id": world.request.ids[1]},
            missing_path={"case_id": MISSING},
        ),
    )


def step(
    roles: frozenset[Role], body: Callable[[World], Any], targets: Callable[[World], Any]
) -> Callable[[World], Expect]:
    def expect(world: World) -> Expect:
        return Expect(
            targets=targets(world),
            acts=lambda caller, _: caller.role in roles,
            refusal="access.health-role",
            body=body(world),
        )

    return expect


REQUEST = "/api/v1/health-requests/{request_id}"
EXPECT: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("GET", "/api/v1/health-requests"): lambda w: Expect(shows=(w.request,), listing=True),
    ("GET", "/api/v1/health-requests/timeliness"): lambda w: Expect(
        shows=(w.request,), listing=True
    ),
    ("GET", REQUEST): lambda w: Expect(targets=on_request(w)),
    ("POST", f"{REQUEST}/assign"): step(
        ASSIGNERS, lambda w: {"kind": "team", "assignee": "team-a"}, on_request
    ),
    ("POST", f"{REQUEST}/response"): step(
        RESPONDERS, lambda w: {"outcome": "no-service", "welsh_delivery": False}, on_request
    ),
    ("POST", f"{REQUEST}/impractical"): step(
        IMPRACTICAL_RECORDERS, lambda w: {"reason": "beyond the board's control"}, on_request
    ),
    ("GET", "/fhir/R4/ServiceRequest"): lambda w: Expect(shows=(w.request,), listing=True),
    ("GET", "/fhir/R4/ServiceRequest/{request_id}"): lambda w: Expect(
        targets=on_request(w, fhir=True)
    ),
    ("GET", "/fhir/R4/Task/{request_id}"): lambda w: Expect(targets=on_request(w, fhir=True)),
    ("PUT", "/fhir/R4/Task/{request_id}"): step(
        RESPONDERS, lambda w: w.task, lambda w: on_request(w, fhir=True)
    ),
    ("GET", "/fhir/R4/Patient/{case_id}"): lambda w: Expect(targets=on_patient(w)),
    ("PUT", "/fhir/R4/Patient/{case_id}"): step(
        RESPONDERS | ASSIGNERS, lambda w: w.patient, on_patient
    ),
}


def test_every_route_has_an_expectation() -> None:
    assert uncovered(COMPOSED, EXPECT) == []


@pytest.mark.parametrize(("route", "caller"), cells(COMPOSED, KNOWN))
async def test_cell(world: World, route: tuple[str, str], caller: Caller) -> None:
    make = EXPECT.get(route)
    expect = make(world) if make else None
    leaks = await check(world.desk.http, world.desk.rt.settings, *route, expect, caller, TALLY)
    assert not leaks, "\n".join(leaks)


async def test_an_officer_cannot_find_the_assignee_by_filtering(world: World) -> None:
    """The inbox's `assigned_to` filter answers an LA officer the same whoever is named."""
    officer = world.desk.la_officer()
    answers = [
        await world.desk.http.get(
            "/api/v1/health-requests", params={"assigned_to": name}, headers=officer
        )
        for name in (world.assignee, "nobody-at-all")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert world.assignee not in answers[0].text


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('health-liaison', TALLY, len(KNOWN))}")
