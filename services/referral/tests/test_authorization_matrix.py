"""The referral service's authorization matrix: every route of the composed app, for every role
in and out of scope, with no token and a garbage token, on a case of Cardiff decided by the LA,
a case of school 6812345 and a case of a Cardiff student its FEI decides (see tests/authz.py for
what each cell asserts).

The journey refuses every command here, so each command's transaction rolls back and every cell
sees the same cases: the refusal is a 409, which a caller who may act gets instead of 403/404."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

import referral.main
from llwybr.stack import Endpoints
from llwybr_common.errors import Conflict
from llwybr_contracts.permissions import CaseAction, DecidedBy, roles_that_may
from llwybr_contracts.vocabulary import Role
from referral import journey_claims
from referral.api import router
from tests.authz import (
    CARDIFF,
    FEI,
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

from .conftest import Desk, open_desk

pytestmark = pytest.mark.service

COMPOSED = referral.main.app  # what runs: the matrix is the routes of this app
TALLY = Tally()
BROAD = (Role.ADMIN, Role.SERVICE)  # see every case


def services_only(caller: Caller) -> bool:
    return caller.has(Role.SERVICE)


def sees_cardiff(caller: Caller) -> bool:
    return caller.has(*BROAD) or (caller.role in LA_ROLES and caller.scoped(f"la:{CARDIFF}"))


def sees_school_case(caller: Caller) -> bool:
    return sees_cardiff(caller) or (
        caller.has(Role.SCHOOL_ALNCO) and caller.scoped(f"school:{SCHOOL}")
    )


def sees_fei_case(caller: Caller) -> bool:
    # the home authority reads its learner's case; the FEI's ALNCo its own student's (s.11)
    return sees_cardiff(caller) or (caller.has(Role.FEI_ALNCO) and caller.scoped(f"fei:{FEI}"))


def learner(tag: str, born: str) -> dict[str, Any]:
    return {
        "given_name": f"Gwenllian{tag}",
        "family_name": f"Matrix{uuid.uuid4().hex[:8]}",
        "date_of_birth": born,
    }


@dataclass
class World:
    desk: Desk
    la_case: Record
    school_case: Record
    fei_case: Record
    decided: dict[str, DecidedBy]
    request_id: str
    reason: str
    la_body: dict[str, Any]


async def opened(desk: Desk, body: dict[str, Any]) -> str:
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    home: Path = tmp_path_factory.mktemp("referral-matrix")
    async with open_desk(infra, home, routers=(router, journey_claims.router)) as desk:
        assert routes(desk.app) == routes(COMPOSED), "the matrix runs the app as composed"
        common = {"received_on": "2026-11-20", "authority": "Caerdydd", "concern": "Reading"}
        la_learner = learner("La", "2016-03-14")
        la_body = {"source": "parent", "learner": la_learner, **common}
        la_id = await opened(desk, la_body)
        school_learner = learner("Ysgol", "2018-09-30")
        school_id = await opened(
            desk,
            {
                "source": "school",
                "learner": school_learner,
                "school": {"name": "Ysgol Enghraifft", "ref": SCHOOL},
                **common,
            },
        )
        fei_learner = learner("Coleg", "2009-01-20")
        fei_learner["consent"] = {"status": "given", "date": "2026-11-20"}
        fei_id = await opened(
            desk,
            {
                "source": "young-person",
                "learner": fei_learner,
                "institution": {"name": "Cardiff and Vale College", "ukprn": FEI},
                **common,
            },
        )
        reason = f"Speech-{uuid.uuid4().hex[:8]}"
        alnco = desk.token("school-alnco", f"school:{SCHOOL}")
        r = await desk.http.post(
            f"/api/v1/cases/{school_id}/health-requests", json={"reason": reason}, headers=alnco
        )
        assert r.status_code == 202, r.text
        request_id = r.json()["request_id"]
        desk.journey.refuse_with = Conflict("case-closed", case_id="matrix")

        def personal(person: dict[str, Any]) -> tuple[str, ...]:
            return person["given_name"], person["family_name"], person["date_of_birth"]

        la_case = Record("the LA's case", (la_id,), sees_cardiff, personal(la_learner))
        school_case = Record(
            "the school's case",
            (school_id, request_id),
            sees_school_case,
            (*personal(school_learner), reason),
        )
        fei_case = Record("the FEI's case", (fei_id,), sees_fei_case, personal(fei_learner))
        decided = {
            la_case.name: DecidedBy.LOCAL_AUTHORITY,
            school_case.name: DecidedBy.SCHOOL,
            fei_case.name: DecidedBy.FEI,
        }
        yield World(desk, la_case, school_case, fei_case, decided, request_id, reason, la_body)


def on_cases(world: World, extra: dict[str, str] | None = None) -> tuple[Target, ...]:
    return tuple(
        Target(
            record,
            path={"case_id": record.ids[0], **(extra or {})},
            missing_path={"case_id": MISSING, **(extra or {})},
        )
        for record in (world.la_case, world.school_case, world.fei_case)
    )


def service_read(world: World, extra: dict[str, str] | None = None) -> Expect:
    targets = tuple(
        Target(t.record.seen_by(services_only), t.path, t.query, t.missing_path)
        for t in on_cases(world, extra)
    )
    return Expect(targets=targets)


def command(
    action: CaseAction, body: dict[str, Any], path: dict[str, str] | None = None
) -> Callable[[World], Expect]:
    def expect(world: World) -> Expect:
        def acts(caller: Caller, record: Record) -> bool:
            return caller.role in roles_that_may(action, world.decided[record.name])

        extra = {"request_id": world.request_id} if action.name.startswith("WITHDRAW") else path
        return Expect(
            targets=on_cases(world, extra),
            acts=acts,
            refusal="access.action-not-allowed",
            body=body,
        )

    return expect


CASE = "/api/v1/cases/{case_id}"
EXPECT: dict[tuple[str, str], Callable[[World], Expect]] = {
    # A referral of the LA case's learner again: only a caller who sees that case may learn of it.
    ("POST", "/api/v1/referrals"): lambda w: Expect(
        shows=(w.la_case,), body=w.la_body, echoes=True
    ),
    ("GET", "/api/v1/cases"): lambda w: Expect(
        shows=(w.la_case, w.school_case, w.fei_case), listing=True
    ),
    ("GET", CASE): lambda w: Expect(targets=on_cases(w)),
    ("GET", f"{CASE}/learner"): service_read,
    ("GET", f"{CASE}/journey-input"): service_read,
    ("GET", f"{CASE}/notice-contacts"): service_read,
    # A service reads the family view only with the family's link to that case (its own tests).
    ("GET", f"{CASE}/family-view"): lambda w: replace(service_read(w), must_see=False),
    ("GET", f"{CASE}/health-requests/{{request_id}}"): lambda w: Expect(
        targets=(
            Target(
                w.school_case.seen_by(services_only),
                path={"case_id": w.school_case.ids[0], "request_id": w.request_id},
                missing_path={"case_id": MISSING, "request_id": w.request_id},
            ),
        )
    ),
    ("GET", "/api/v1/journey-inputs"): lambda w: Expect(
        shows=tuple(c.seen_by(services_only) for c in (w.la_case, w.school_case, w.fei_case)),
        query={"opened_since": "2020-01-01"},
        listing=True,
    ),
    ("POST", f"{CASE}/decision"): command(
        CaseAction.RECORD_DECISION,
        {"outcome": "no-aln", "decided_on": "2026-11-23", "notice_given_on": "2026-11-23"},
    ),
    ("POST", f"{CASE}/referral-to-la"): command(
        CaseAction.REFER_TO_LA, {"referred_on": "2026-11-24"}
    ),
    ("POST", f"{CASE}/health-requests"): command(
        CaseAction.REQUEST_HEALTH_INPUT, {"reason": "matrix probe"}
    ),
    ("POST", f"{CASE}/health-requests/{{request_id}}/withdraw"): command(
        CaseAction.WITHDRAW_HEALTH_INPUT, {}
    ),
    ("POST", f"{CASE}/exceptions"): command(
        CaseAction.RECORD_EXCEPTION,
        {
            "action": "pause",
            "rule": "la-decision",
            "reason": "learner-absent",
            "from": "2026-11-23",
        },
    ),
    ("POST", f"{CASE}/consent"): command(
        CaseAction.RECORD_CONSENT, {"status": "given", "date": "2026-11-25"}
    ),
    ("POST", f"{CASE}/review-requests"): command(
        CaseAction.REQUEST_REVIEW, {"requested_on": "2026-11-25", "requested_by": "family"}
    ),
    ("POST", f"{CASE}/reconsideration-requests"): command(
        CaseAction.REQUEST_RECONSIDERATION, {"kind": "decision", "received_on": "2026-11-25"}
    ),
    ("POST", f"{CASE}/fei-takeover-requests"): command(
        CaseAction.FEI_TAKEOVER, {"ukprn": FEI, "received_on": "2026-11-25"}
    ),
    ("POST", f"{CASE}/fei-takeover-requests/{{ukprn}}/answer"): command(
        CaseAction.FEI_TAKEOVER,
        {"answer": "agreed", "answered_on": "2026-11-25"},
        path={"ukprn": FEI},
    ),
    ("POST", f"{CASE}/release"): command(CaseAction.RECORD_RELEASE, {"released_on": "2026-11-25"}),
    ("POST", f"{CASE}/tribunal-review-requests"): command(
        CaseAction.REQUEST_TRIBUNAL_REVIEW, {"requested_on": "2026-11-25", "requested_by": "family"}
    ),
}


def test_every_route_has_an_expectation() -> None:
    assert uncovered(COMPOSED, EXPECT) == []


@pytest.mark.parametrize(("route", "caller"), cells(COMPOSED))
async def test_cell(world: World, route: tuple[str, str], caller: Caller) -> None:
    make = EXPECT.get(route)
    expect = make(world) if make else None
    leaks = await check(world.desk.http, world.desk.rt.settings, *route, expect, caller, TALLY)
    assert not leaks, "\n".join(leaks)


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('referral', TALLY)}")
