"""Issue 15 through the referral API: a student at a further education institution is routed
to the FEI (Act s.11) on its assumed clock, and only the FEI's ALNCo acts for it; a detained
learner goes to the home authority (ss.39-56), whose officer records the release (Regs reg 18);
a party's request for a Tribunal review is recorded on the case (ETW Regs reg 53)."""

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from llwybr_common.outbox import OutboxMessage
from llwybr_contracts import journey as j
from llwybr_contracts.states import DecidingBody
from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE
from referral.journey_client import refusal_error
from referral.models import Case

from .conftest import Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

UKPRN, OTHER = "10099011", "10099006"  # Cardiff and Vale College, Gower College Swansea


def student(**overrides: Any) -> dict[str, Any]:
    """A 17-year-old who consented, at an FEI in place of a school."""
    body = referral(institution={"name": "Cardiff and Vale College", "ukprn": UKPRN}, **overrides)
    body["learner"]["date_of_birth"] = "2009-03-02"
    body["learner"]["consent"] = {"status": "given", "date": "2026-11-20"}
    return body


async def test_a_student_at_an_fei_is_routed_to_the_fei_on_its_assumed_clock(desk: Desk) -> None:
    r = await desk.http.post("/api/v1/referrals", json=student(), headers=desk.officer())
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["deciding_body"], out["deciding_institution"], out["deciding_authority"]) == (
        "fei",
        UKPRN,
        None,
    )
    assert out["routing_reason"] == "fei-student"
    assert (out["clock"]["rule"], out["clock"]["assumed"]) == ("fei-decision", True)
    (started,) = desk.journey.started
    assert (started.deciding_body, started.institution, started.first_rule) == (
        DecidingBody.FEI,
        UKPRN,
        "fei-decision",
    )
    (case,) = await desk.cases()
    assert (case.institution_ukprn, case.institution_name) == (UKPRN, "Cardiff and Vale College")
    # the plan's maintainer (idp) and the figures by FEI (insight) learn the college from the
    # routing event: version 2 names it (a UKPRN, no personal data)
    [routed] = [
        m.envelope["data"]
        for m in await desk.rows(OutboxMessage, key=case.id)
        if m.event_type == "wales.aln.referral.case-routed.v2"
    ]
    assert (routed["deciding_body"], routed["institution"]) == ("fei", UKPRN)


async def test_only_the_feis_alnco_acts_and_the_home_authority_only_reads(desk: Desk) -> None:
    r = await desk.http.post("/api/v1/referrals", json=student(), headers=desk.officer())
    case_id = r.json()["case_id"]
    path = f"/api/v1/cases/{case_id}"
    alnco = desk.token("fei-alnco", f"fei:{UKPRN}", lang="en")
    other = desk.token("fei-alnco", f"fei:{OTHER}", lang="en")
    seen = await desk.http.get(path, headers=alnco)
    assert (seen.status_code, seen.json()["deciding_institution"]) == (200, UKPRN)
    listed = await desk.http.get("/api/v1/cases", headers=alnco)
    assert [c["case_id"] for c in listed.json()["items"]] == [case_id]
    assert (await desk.http.get(path, headers=other)).status_code == 404
    assert (await desk.http.get("/api/v1/cases", headers=other)).json()["items"] == []
    # the home authority sees its learner's case, but the FEI decides (Act s.11)
    assert (await desk.http.get(path, headers=desk.officer())).status_code == 200
    home_list = await desk.http.get("/api/v1/cases", headers=desk.officer())
    assert case_id in [c["case_id"] for c in home_list.json()["items"]]
    decision = {"outcome": "no-aln", "decided_on": "2026-11-25", "notice_given_on": "2026-11-25"}
    refused = await desk.http.post(f"{path}/decision", json=decision, headers=desk.officer())
    assert refused.status_code == 403
    assert refused.json()["decided_by"] == "fei"
    done = await desk.http.post(f"{path}/decision", json=decision, headers=alnco)
    assert done.status_code == 200, done.text
    ((_, update, payload),) = desk.journey.commands
    assert update == j.UPDATE_RECORD_DECISION and isinstance(payload, j.RecordDecision)
    # an FEI does not refer to the LA under s.12(2), nor does the LA reconsider its decision
    to_la = await desk.http.post(
        f"{path}/referral-to-la", json={"referred_on": "2026-11-25"}, headers=alnco
    )
    assert to_la.status_code == 403


async def test_an_feis_alnco_refers_its_own_students_only(desk: Desk) -> None:
    alnco = desk.token("fei-alnco", f"fei:{UKPRN}", lang="en")
    r = await desk.http.post("/api/v1/referrals", json=student(), headers=alnco)
    assert r.status_code == 201, r.text
    other = desk.token("fei-alnco", f"fei:{OTHER}", lang="en")
    again = student()
    r = await desk.http.post("/api/v1/referrals", json=again, headers=other)
    assert (r.status_code, r.json()["code"]) == (403, "access.referral-scope")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"school": {"ref": "6812345"}}, "institution", "school-and-institution"),
        ({"institution": {"ukprn": "1234"}}, "institution.ukprn", "ukprn-invalid"),
        ({"institution": {"ukprn": "10000000"}}, "institution.ukprn", "unknown-institution"),
    ],
)
async def test_an_institution_that_cannot_be_is_refused_by_field(
    desk: Desk, change: dict[str, Any], field: str, code: str
) -> None:
    body = {**student(), **change}
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer(lang="cy"))
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]
    welsh = {
        "school-and-institution": "nid y ddau",
        "ukprn-invalid": "8 digid",
        "unknown-institution": "sefydliad addysg bellach yng Nghymru",
    }
    assert welsh[code] in r.json()["errors"][0]["reason"]  # from the Welsh catalogue
    assert await desk.cases() == []


async def test_a_detained_learner_goes_to_the_home_authority_which_records_the_release(
    desk: Desk,
) -> None:
    body = referral(school={"ref": "6812345"})
    body["learner"]["detained"] = True
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["deciding_body"], out["routing_reason"], out["clock"]["rule"]) == (
        "local-authority",
        "detained-person",
        "la-decision",
    )
    (started,) = desk.journey.started
    assert started.detained
    case_id = out["case_id"]
    (case,) = await desk.rows(Case, id=case_id)
    assert case.detained
    path = f"/api/v1/cases/{case_id}/release"
    school = desk.token("school-alnco", "school:6812345", lang="en")
    assert (
        await desk.http.post(path, json={"released_on": "2026-11-24"}, headers=school)
    ).status_code in (403, 404)
    early = await desk.http.post(path, json={"released_on": "2026-11-19"}, headers=desk.officer())
    assert early.status_code == 422
    assert [(e["field"], e["code"]) for e in early.json()["errors"]] == [
        ("released_on", "dates.before-referral")
    ]
    r = await desk.http.post(
        path, json={"released_on": "2026-11-24", "note": "Left the YOI"}, headers=desk.officer()
    )
    assert r.status_code == 200, r.text
    ((sent, update, payload),) = desk.journey.commands
    assert (sent, update) == (case_id, j.UPDATE_RECORD_RELEASE)
    assert isinstance(payload, j.RecordRelease) and payload.released_on.isoformat() == "2026-11-24"


async def test_a_release_the_journey_refuses_is_409_in_welsh(desk: Desk) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    case_id = r.json()["case_id"]
    refusal = ApplicationError(
        "not-detained", {"code": "not-detained", "params": {}}, type=REFUSAL_ERROR_TYPE
    )
    desk.journey.refuse_with = refusal_error(refusal, "")
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/release",
        json={"released_on": "2026-11-24"},
        headers=desk.officer(lang="cy"),
    )
    assert (r.status_code, r.json()["code"]) == (409, "refused.not-detained")
    assert "ddalfa" in r.json()["detail"]


async def test_a_partys_tribunal_review_request_is_sent_to_the_journey(desk: Desk) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    case_id = r.json()["case_id"]
    path = f"/api/v1/cases/{case_id}/tribunal-review-requests"
    bad = await desk.http.post(
        path, json={"requested_on": "2026-11-24", "requested_by": "school"}, headers=desk.officer()
    )
    assert bad.status_code == 422
    r = await desk.http.post(
        path,
        json={"requested_on": "2026-11-24", "requested_by": "family"},
        headers=desk.officer(),
    )
    assert r.status_code == 200, r.text
    ((_, update, payload),) = desk.journey.commands
    assert update == j.UPDATE_REQUEST_TRIBUNAL_REVIEW
    assert isinstance(payload, j.RequestTribunalReview) and payload.requested_by == "family"
    refusal = ApplicationError(
        "no-tribunal-decision", {"code": "no-tribunal-decision", "params": {}},
        type=REFUSAL_ERROR_TYPE,
    )  # fmt: skip
    desk.journey.refuse_with = refusal_error(refusal, "")
    r = await desk.http.post(
        path, json={"requested_on": "2026-11-25", "requested_by": "family"}, headers=desk.officer()
    )
    assert (r.status_code, r.json()["code"]) == (409, "refused.no-tribunal-decision")


async def test_the_la_asks_an_fei_to_take_over_its_plan_and_records_the_answer(
    desk: Desk,
) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    case_id = r.json()["case_id"]
    path = f"/api/v1/cases/{case_id}/fei-takeover-requests"
    unknown = await desk.http.post(
        path, json={"ukprn": "10000000", "received_on": "2026-11-24"}, headers=desk.officer()
    )
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [
        ("ukprn", "unknown-institution")
    ]
    r = await desk.http.post(
        path, json={"ukprn": UKPRN, "received_on": "2026-11-24"}, headers=desk.officer()
    )
    assert r.status_code == 200, r.text
    r = await desk.http.post(
        f"{path}/{UKPRN}/answer",
        json={"answer": "declined", "answered_on": "2026-11-26"},
        headers=desk.officer(),
    )
    assert r.status_code == 200, r.text
    (asked, answered) = desk.journey.commands
    assert asked[1] == j.UPDATE_REQUEST_FEI_TAKEOVER and isinstance(asked[2], j.RequestFeiTakeover)
    assert answered[1] == j.UPDATE_ANSWER_FEI_TAKEOVER
    assert isinstance(answered[2], j.AnswerFeiTakeover) and answered[2].answer == "declined"
    # the FEI's own ALNCo cannot see the LA's case, so it cannot answer through it
    alnco = desk.token("fei-alnco", f"fei:{UKPRN}")
    r = await desk.http.post(
        f"{path}/{UKPRN}/answer",
        json={"answer": "agreed", "answered_on": "2026-11-26"},
        headers=alnco,
    )
    assert r.status_code == 404
