"""Dates that cannot be (docs/rules.md): every date a person enters is checked against the case
before anything is written or the journey is asked; each refusal is a 422 naming the field and
the bound, in Welsh or English."""

from datetime import date
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE
from referral.journey_client import refusal_error
from referral.models import CaseNote

from .conftest import Desk
from .test_intake_and_commands import open_case, referral

pytestmark = pytest.mark.service


def errors(r: Any) -> dict[str, tuple[str, str | None]]:
    return {e["field"]: (e["code"], e.get("bound")) for e in r.json()["errors"]}


async def test_a_no_aln_decision_dated_1990_on_a_2026_referral_is_refused(desk: Desk) -> None:
    case_id = await open_case(desk)  # received 2026-11-20
    decision = {"outcome": "no-aln", "decided_on": "1990-01-01", "notice_given_on": "1990-01-02"}
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/decision", json=decision, headers=desk.officer(lang="en")
    )
    assert r.status_code == 422, r.text
    assert errors(r) == {
        "decided_on": ("dates.before-referral", "2026-11-20"),
        "notice_given_on": ("dates.before-referral", "2026-11-20"),
    }
    assert "before the referral that opened the case (2026-11-20)" in r.json()["detail"]
    assert desk.journey.commands == [], "the journey is never asked"
    assert await desk.rows(CaseNote, case_id=case_id) == []


async def test_a_notice_before_its_decision_and_a_date_after_today_are_refused(
    desk: Desk,
) -> None:
    case_id = await open_case(desk)
    path = f"/api/v1/cases/{case_id}/decision"
    early = {"outcome": "no-aln", "decided_on": "2026-11-25", "notice_given_on": "2026-11-24"}
    r = await desk.http.post(path, json=early, headers=desk.officer(lang="cy"))
    assert r.status_code == 422
    assert errors(r) == {"notice_given_on": ("dates.before-decision", "2026-11-25")}
    assert "cyn y penderfyniad" in r.json()["errors"][0]["reason"]
    future = {"outcome": "aln", "decided_on": "2026-12-01"}
    r = await desk.http.post(path, json=future, headers=desk.officer())
    assert errors(r) == {"decided_on": ("dates.in-future", "2026-11-27")}
    assert desk.journey.commands == []


async def test_a_pause_may_be_planned_but_not_start_before_the_referral(desk: Desk) -> None:
    case_id = await open_case(desk)
    path = f"/api/v1/cases/{case_id}/exceptions"
    pause = {"action": "pause", "rule": "la-decision", "reason": "learner-absent"}
    r = await desk.http.post(path, json={**pause, "from": "2026-11-19"}, headers=desk.officer())
    assert r.status_code == 422 and errors(r) == {"from": ("dates.before-referral", "2026-11-20")}
    r = await desk.http.post(path, json={**pause, "from": "2027-01-04"}, headers=desk.officer())
    assert r.status_code == 200, r.text
    assert len(desk.journey.commands) == 1


async def test_consent_review_and_reconsideration_dates_are_checked_too(desk: Desk) -> None:
    case_id = await open_case(desk)
    for path, body, field in [
        ("consent", {"status": "given", "date": "2017-05-01"}, "date"),
        ("review-requests", {"requested_on": "2026-01-01", "requested_by": "family"}, None),
        ("reconsideration-requests", {"kind": "decision", "received_on": "2026-11-19"}, None),
        ("health-requests/r-1/withdraw", {"on": "2026-11-28"}, "on"),
    ]:
        r = await desk.http.post(
            f"/api/v1/cases/{case_id}/{path}", json=body, headers=desk.officer()
        )
        assert r.status_code == 422, (path, r.text)
        ((name, _),) = errors(r).items()
        assert name == (field or next(iter(body.keys() - {"requested_by", "kind"})))
    # born 2017-05-02: the referral's bound is the tighter one and is the one named
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/consent",
        json={"status": "given", "date": "2017-05-01"},
        headers=desk.officer(),
    )
    assert errors(r) == {"date": ("dates.before-referral", "2026-11-20")}
    assert desk.journey.commands == []


@pytest.mark.parametrize(
    ("born", "code", "bound"),
    [
        ("1901-01-01", "dates.age-25-or-over", "2001-11-21"),
        ("2000-11-19", "dates.age-25-or-over", "2001-11-21"),  # 26 on the date of attention
        ("2001-11-20", "dates.age-25-or-over", "2001-11-21"),  # 25 that very day
    ],
)
async def test_a_learner_25_or_over_on_the_date_of_attention_opens_no_case(
    desk: Desk, born: str, code: str, bound: str
) -> None:
    body = referral()
    body["learner"]["date_of_birth"] = born
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer(lang="en"))
    assert r.status_code == 422, r.text
    assert errors(r).get("learner.date_of_birth") == (code, bound), r.text
    assert "the Act covers learners under 25" in r.json()["detail"]
    assert await desk.cases() == [] and desk.journey.started == []


async def test_a_birth_date_in_1800_is_refused_naming_the_field(desk: Desk) -> None:
    body = referral()
    body["learner"]["date_of_birth"] = "1800-01-01"
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["body.learner.date_of_birth"]
    assert await desk.cases() == []


async def test_a_young_person_of_24_is_still_referred(desk: Desk) -> None:
    body = referral(source="young-person")
    body["learner"] |= {
        "date_of_birth": "2001-11-21",
        "consent": {"status": "given", "date": "2026-11-20"},
    }
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text


async def test_a_date_the_journey_refuses_is_a_422_naming_the_field_and_bound(
    desk: Desk,
) -> None:
    """The journey's own check (its validator) answers the same way as the API's."""
    refused = ApplicationError(
        "date-before-referral",
        {
            "code": "date-before-referral",
            "params": {"field": "decided_on", "day": "2026-11-01", "bound": "2026-11-02"},
        },
        type=REFUSAL_ERROR_TYPE,
        non_retryable=True,
    )
    error = refusal_error(refused, "")
    assert error.status == 422
    assert [(e.field, e.code, e.params["bound"]) for e in error.errors] == [
        ("decided_on", "dates.before-referral", "2026-11-02")
    ]


async def test_a_19_year_old_outside_education_goes_to_the_la_under_la_not_necessary(
    desk: Desk,
) -> None:
    """Regs regs 6-10: a young person at no school or FEI; the journey is told when the duties
    end (31 August of the academic year in which the learner turns 25, docs/rules.md s.6)."""
    body = referral(source="young-person")
    body["learner"] |= {
        "date_of_birth": "2007-03-14",
        "consent": {"status": "given", "date": "2026-11-20"},
    }
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    assert (r.json()["deciding_body"], r.json()["clock"]["rule"]) == (
        "local-authority",
        "la-not-necessary",
    )
    (started,) = desk.journey.started
    assert (started.first_rule, started.duties_end) == ("la-not-necessary", date(2032, 8, 31))
    pending = referral(source="young-person")
    pending["learner"] |= {"date_of_birth": "2007-09-14", "consent": {"status": "pending"}}
    r = await desk.http.post("/api/v1/referrals", json=pending, headers=desk.officer())
    assert r.json()["clock"]["rule"] is None, "no clock runs until consent"
    assert desk.journey.started[1].first_rule == "la-not-necessary", "the clock consent starts"
    assert desk.journey.started[1].duties_end == date(2033, 8, 31)
