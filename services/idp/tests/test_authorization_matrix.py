"""The idp service's authorization matrix: every route of the composed app, for every role in
and out of scope, with no token and a garbage token, on an issued Cardiff plan the authority
maintains, an issued plan school 6812345 maintains, and a Cardiff case decided with ALN (see
tests/authz.py for what each cell asserts).

Cardiff's officers see both plans and write their own; the school's ALNCo sees and writes the
school's plan only; another school or authority gets the answer a plan that does not exist
gets (403 `idp.access.out-of-scope`, as the idp contract says), and anyone else a 403 for their
role."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

import idp.main
from llwybr.stack import Endpoints
from llwybr_contracts.states import DecidingBody
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
    callers,
    cells,
    check,
    report,
    routes,
    uncovered,
)

from .conftest import Desk, open_desk
from .test_plans import MEASURABLE, ready_to_issue

pytestmark = pytest.mark.service

COMPOSED = idp.main.app
TALLY = Tally()
KNOWN: dict[tuple[str, str, str], str] = {}


def cardiff_la(caller: Caller) -> bool:
    return caller.role in LA_ROLES and caller.scoped(f"la:{CARDIFF}")


def the_school(caller: Caller) -> bool:
    return caller.role is Role.SCHOOL_ALNCO and caller.scoped(f"school:{SCHOOL}")


@dataclass
class Plan:
    record: Record
    idp_id: str
    item_id: str
    # One item per DELETE cell: a deleted item cannot be deleted twice.
    spare_items: list[str] = field(default_factory=list)


@dataclass
class World:
    desk: Desk
    la_plan: Plan
    school_plan: Plan
    case: Record


async def seed_plan(desk: Desk, headers: dict[str, str], **case: Any) -> tuple[str, str, str]:
    case_id = await desk.decided_case(**case)
    r = await desk.http.post(f"/api/v1/cases/{case_id}/idp", headers=headers)
    assert r.status_code == 201, r.text
    idp_id = r.json()["idp_id"]
    secret = f"Pêl-droed-{uuid.uuid4().hex[:8]}"
    r = await desk.http.put(
        f"/api/v1/idps/{idp_id}/sections/profile",
        json={"content": {"important_to_me": secret}},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    await ready_to_issue(desk, idp_id, headers)
    r = await desk.http.post(f"/api/v1/idps/{idp_id}/issue", json={}, headers=headers)
    assert r.status_code == 200, r.text
    return case_id, idp_id, secret


async def items(desk: Desk, idp_id: str, headers: dict[str, str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = await desk.http.post(
            f"/api/v1/idps/{idp_id}/provision", json=MEASURABLE, headers=headers
        )
        assert r.status_code == 201, r.text
        out.append(r.json()["item_id"])
    return out


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_desk(infra, tmp_path_factory.mktemp("idp-matrix")) as desk:
        assert routes(desk.app) == routes(COMPOSED), "the matrix runs the app as composed"
        officer, alnco = desk.officer(), desk.alnco()
        per_route = len(callers())
        plans = []
        for headers, sees, body in (
            (officer, cardiff_la, DecidingBody.LOCAL_AUTHORITY),
            (alnco, lambda c: cardiff_la(c) or the_school(c), DecidingBody.SCHOOL),
        ):
            case_id, idp_id, secret = await seed_plan(desk, headers, deciding_body=body)
            # One spare per DELETE cell, and one for the named check below.
            [first, *spare] = await items(desk, idp_id, headers, per_route + 2)
            record = Record(f"{body.value} plan", (idp_id, case_id), sees, (secret,))
            plans.append(Plan(record, idp_id, first, spare))
        # A Cardiff case decided with ALN and no plan yet: its officers may open the draft; the
        # ALNCo of the learner's school sees the case but does not prepare an LA's plan.
        case_id = await desk.decided_case()
        case = Record("decided case", (case_id,), lambda c: cardiff_la(c) or the_school(c))
        yield World(desk, plans[0], plans[1], case)


def writer(plan: Plan) -> Callable[[Caller], bool]:
    return cardiff_la if plan.record.name.startswith("local-authority") else the_school


def on_plans(world: World, **extra: str) -> tuple[Target, ...]:
    return tuple(
        Target(
            p.record,
            path={"idp_id": p.idp_id, **extra},
            missing_path={"idp_id": MISSING, **extra},
        )
        for p in (world.la_plan, world.school_plan)
    )


def on_items(world: World, *, spare: bool = False) -> tuple[Target, ...]:
    out = []
    for p in (world.la_plan, world.school_plan):
        item = p.spare_items.pop() if spare else p.item_id
        out.append(
            Target(
                p.record,
                path={"idp_id": p.idp_id, "item_id": item},
                missing_path={"idp_id": MISSING, "item_id": item},
            )
        )
    return tuple(out)


def acts(caller: Caller, record: Record) -> bool:
    if record.name.startswith("local-authority"):
        return cardiff_la(caller)
    return the_school(caller)


def command(
    body: Any, targets: Callable[[World], tuple[Target, ...]] = on_plans
) -> Callable[[World], Expect]:
    def expect(world: World) -> Expect:
        return Expect(
            targets=targets(world), acts=acts, refusal="idp.access.not-maintainer", body=body
        )

    return expect


def read(targets: Callable[[World], tuple[Target, ...]], **query: str) -> Callable[[World], Expect]:
    return lambda w: Expect(targets=targets(w), query=query)


IDP = "/api/v1/idps/{idp_id}"
EXPECT: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("POST", "/api/v1/cases/{case_id}/idp"): lambda w: Expect(
        targets=(
            Target(w.case, path={"case_id": w.case.ids[0]}, missing_path={"case_id": MISSING}),
        ),
        acts=lambda caller, _: cardiff_la(caller),
        refusal="idp.access.not-deciding-body",
        body={},
    ),
    ("GET", "/api/v1/idps"): lambda w: Expect(
        shows=(w.la_plan.record, w.school_plan.record), listing=True
    ),
    ("GET", IDP): read(on_plans),
    ("PUT", IDP + "/sections/{section}"): command(
        {"content": {"description": "Dyslecsia"}, "reason": "matrix"},
        lambda w: on_plans(w, section="aln-description"),
    ),
    ("POST", IDP + "/provision"): command(MEASURABLE),
    ("PUT", IDP + "/provision/{item_id}"): command(MEASURABLE, on_items),
    ("DELETE", IDP + "/provision/{item_id}"): command(None, lambda w: on_items(w, spare=True)),
    ("POST", IDP + "/issue"): command({}),
    ("GET", IDP + "/versions/{n}"): read(lambda w: on_plans(w, n="1")),
    ("GET", IDP + "/versions/{n}/document"): read(
        lambda w: on_plans(w, n="1"), format="html", lang="cy"
    ),
    ("POST", IDP + "/reviews"): command({"held_on": "2026-11-26", "revised": False}),
    # Refused by the summer rule once access is granted: the plan stays where it is.
    ("POST", IDP + "/transfers"): command(
        {
            "to_body": "school:6800001",
            "on": "2026-11-26",
            "left_on": "2026-07-20",
            "registered_on": "2026-10-05",
        }
    ),
    ("POST", IDP + "/cease-proposals"): command(
        {"reason": "left", "detail": "matrix", "proposed_on": "2026-11-26"}
    ),
    # Before any proposal (the routes run in order): refused for want of one.
    ("POST", IDP + "/cease-decisions"): command(
        {"decision": "continue", "decided_on": "2026-11-27", "reasons": "matrix"}
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


async def test_another_schools_alnco_is_refused_on_every_plan_endpoint(world: World) -> None:
    """The issue's check, by name: an ALNCo of another school never reaches the school's plan;
    the answer is the one a plan that does not exist gets, so nothing is disclosed."""
    other = world.desk.alnco("6899999")
    plan = world.school_plan
    tried = 0
    for (method, template), make in EXPECT.items():
        if "{idp_id}" not in template:
            continue
        expect = make(world)
        path = template.format(
            idp_id=plan.idp_id, section="aln-description", n="1", item_id=plan.item_id
        )
        kwargs: dict[str, Any] = {"headers": other, "params": expect.query}
        if method in ("POST", "PUT"):
            kwargs["json"] = expect.body
        r = await world.desk.http.request(method, path, **kwargs)
        assert (r.status_code, r.json()["code"]) == (403, "idp.access.out-of-scope"), (
            method,
            template,
        )
        tried += 1
    assert tried == 12


def test_cells_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{report('idp', TALLY, len(KNOWN))}")
