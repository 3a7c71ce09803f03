"""What a hostile test found, each reproduced: who may take a step depends on who decides the
case; a case out of scope is "not found" and a duplicate out of scope names no case; two
simultaneous referrals of one learner open one case, whichever identifier they share."""

import asyncio
import uuid
from typing import Any

import pytest

from .conftest import SWANSEA, Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

SCHOOL = {"name": "Ysgol Enghraifft", "ref": "6812345"}


def school_referral(**overrides: Any) -> dict[str, Any]:
    return referral(source="school", school=SCHOOL, **overrides)


async def opened(desk: Desk, body: dict[str, Any]) -> str:
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


NO_ALN = {"outcome": "no-aln", "decided_on": "2026-11-23", "notice_given_on": "2026-11-23"}


async def test_an_alnco_cannot_record_the_las_decision_on_a_school_referral_to_the_la(
    desk: Desk,
) -> None:
    case_id = await opened(desk, school_referral(referral_type="school-referral-to-la"))
    alnco = desk.token("school-alnco", f"school:{SCHOOL['ref']}", lang="cy")
    seen = await desk.http.get(f"/api/v1/cases/{case_id}", headers=alnco)
    assert seen.status_code == 200, "the school still sees its pupil's case"
    r = await desk.http.post(f"/api/v1/cases/{case_id}/decision", json=NO_ALN, headers=alnco)
    assert r.status_code == 403, r.text
    assert (r.json()["code"], r.json()["title"]) == ("access.action-not-allowed", "Dim mynediad")
    assert desk.journey.commands == [], "nothing reached the journey"
    assert ("denied", "forbidden") in await desk.audit(case_id)


async def test_the_school_decides_its_own_case_and_the_la_officer_may_not(desk: Desk) -> None:
    case_id = await opened(desk, school_referral())
    officer = await desk.http.post(
        f"/api/v1/cases/{case_id}/decision", json=NO_ALN, headers=desk.officer()
    )
    assert officer.status_code == 403
    alnco = desk.token("school-alnco", f"school:{SCHOOL['ref']}")
    r = await desk.http.post(f"/api/v1/cases/{case_id}/decision", json=NO_ALN, headers=alnco)
    assert r.status_code == 200, r.text
    assert [update for _, update, _ in desk.journey.commands] == ["record_decision"]


async def test_a_case_out_of_scope_is_not_found_like_one_that_does_not_exist(desk: Desk) -> None:
    case_id = await opened(desk, referral())
    swansea = desk.officer(SWANSEA)
    theirs = await desk.http.get(f"/api/v1/cases/{case_id}", headers=swansea)
    nothing = await desk.http.get(f"/api/v1/cases/{uuid.uuid4()}", headers=swansea)
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json()["code"] == nothing.json()["code"] == "not-found.case"
    act = await desk.http.post(f"/api/v1/cases/{case_id}/decision", json=NO_ALN, headers=swansea)
    assert act.status_code == 404


@pytest.mark.parametrize("known_by", ["details", "nhs-number-only"])
async def test_another_authority_learns_of_a_duplicate_but_not_which_case(
    desk: Desk, known_by: str
) -> None:
    cardiff = referral()
    cardiff["learner"]["nhs_number"] = "9434765919"
    case_id = await opened(desk, cardiff)
    theirs = referral(authority="Abertawe")
    if known_by == "details":
        theirs["learner"] = {**cardiff["learner"]}
    else:
        theirs["learner"]["nhs_number"] = "943 476 5919"
    r = await desk.http.post("/api/v1/referrals", json=theirs, headers=desk.officer(SWANSEA))
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "duplicate-referral-elsewhere"
    assert case_id not in r.text and "open_case" not in r.json()
    assert ("denied", "duplicate-elsewhere") in await desk.audit(case_id)
    attach = await desk.http.post(
        "/api/v1/referrals",
        json={**theirs, "attach_to_open_case": True},
        headers=desk.officer(SWANSEA),
    )
    assert attach.status_code == 409 and case_id not in attach.text
    assert len(await desk.cases()) == 1


async def test_two_simultaneous_referrals_sharing_only_an_nhs_number_open_one_case(
    desk: Desk,
) -> None:
    a, b = referral(), referral()
    a["learner"]["nhs_number"] = b["learner"]["nhs_number"] = "9434765919"
    answers = await asyncio.gather(
        *(desk.http.post("/api/v1/referrals", json=x, headers=desk.officer()) for x in (a, b))
    )
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    assert len(await desk.cases()) == 1
