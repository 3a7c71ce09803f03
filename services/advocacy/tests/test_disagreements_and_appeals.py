"""Disagreements (Act s.68) publish `DisagreementRaised` and, with their outcome,
`DisagreementConcluded`; appeals to the
Education Tribunal for Wales (Act s.70) publish `AppealLodged`, measured against the
`tribunal-appeal` window, and `AppealDecided` with any order and its deadline."""

import pytest

from advocacy.models import Appeal, AppealDecisionCreate, OrderCreate
from advocacy.service import appeal_outcome_code

from .conftest import Desk

pytestmark = pytest.mark.service

WINDOW = {
    "rule": "tribunal-appeal",
    "start": "2026-11-23",
    "due": "2027-01-19",
    "status": "running",
}


async def test_a_disagreement_is_published_and_its_outcome_kept(desk: Desk) -> None:
    case_id = desk.case(clocks=[WINDOW])
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/disagreements",
        json={"raised_on": "2026-11-25", "about": "decision"},
        headers=desk.officer(),
    )
    assert r.status_code == 201, r.text
    disagreement_id = r.json()["disagreement_id"]
    assert r.json() == {"disagreement_id": disagreement_id}
    assert await desk.events(case_id) == [
        (
            "wales.aln.advocacy.disagreement-raised.v1",
            {"case_id": case_id, "raised_on": "2026-11-25", "disagreement_resolution": True},
        )
    ]
    outcome = f"/api/v1/disagreements/{disagreement_id}/outcome"
    early = await desk.http.post(
        outcome, json={"outcome": "resolved", "on": "2026-11-24"}, headers=desk.officer()
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "on"
    done = await desk.http.post(
        outcome, json={"outcome": "not-resolved", "on": "2026-11-26"}, headers=desk.officer()
    )
    assert done.status_code == 200, done.text
    assert (done.json()["outcome"], done.json()["outcome_on"]) == ("not-resolved", "2026-11-26")
    assert (await desk.events(case_id))[1:] == [
        (
            "wales.aln.advocacy.disagreement-concluded.v1",
            {"case_id": case_id, "outcome": "not-resolved", "concluded_on": "2026-11-26"},
        )
    ]
    again = await desk.http.post(
        outcome, json={"outcome": "resolved", "on": "2026-11-26"}, headers=desk.officer()
    )
    assert again.status_code == 409 and again.json()["code"] == "advocacy.outcome-recorded"


async def test_a_disagreement_in_the_future_is_refused(desk: Desk) -> None:
    case_id = desk.case()
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/disagreements",
        json={"raised_on": "2026-11-28", "about": "idp"},
        headers=desk.officer(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "raised_on"
    assert await desk.events(case_id) == []


async def test_only_the_assigned_advocate_records_for_the_family(desk: Desk) -> None:
    case_id = desk.case(clocks=[WINDOW])
    body = {"raised_on": "2026-11-25", "about": "decision"}
    path = f"/api/v1/cases/{case_id}/disagreements"
    before = await desk.http.post(path, json=body, headers=desk.advocate("owain.snap"))
    assert before.status_code == 404  # not assigned: the case is not theirs to see
    await desk.accepted(case_id, advocate="owain.snap")
    other = await desk.http.post(path, json=body, headers=desk.advocate("someone.else"))
    assert other.status_code == 404
    assigned = await desk.http.post(path, json=body, headers=desk.advocate("owain.snap"))
    assert assigned.status_code == 201, assigned.text


async def test_an_appeal_meets_the_window_and_its_decision_carries_the_order(desk: Desk) -> None:
    case_id = desk.case(clocks=[WINDOW])
    lodged = await desk.http.post(
        f"/api/v1/cases/{case_id}/appeals", json={"lodged_on": "2026-11-26"}, headers=desk.officer()
    )
    assert lodged.status_code == 201, lodged.text
    appeal = lodged.json()
    assert (appeal["window_due"], appeal["in_time"]) == ("2027-01-19", True)
    pending = await desk.http.post(
        f"/api/v1/cases/{case_id}/appeals", json={"lodged_on": "2026-11-27"}, headers=desk.officer()
    )
    assert pending.status_code == 409 and pending.json()["appeal_id"] == appeal["appeal_id"]

    path = f"/api/v1/appeals/{appeal['appeal_id']}/decision"
    order = {"kind": "prepare-idp", "due": "2027-01-08"}
    dismissed_with_order = await desk.http.post(
        path,
        json={"decided_on": "2026-11-27", "outcome": "dismissed", "order": order},
        headers=desk.officer(),
    )
    assert dismissed_with_order.status_code == 422
    decided = await desk.http.post(
        path,
        json={"decided_on": "2026-11-27", "outcome": "allowed", "order": order},
        headers=desk.officer(),
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["order_kind"], decided.json()["order_due"]) == (
        "prepare-idp",
        "2027-01-08",
    )
    assert [e for e in await desk.events(case_id) if "appeal" in e[0]] == [
        (
            "wales.aln.advocacy.appeal-lodged.v1",
            {"case_id": case_id, "lodged_on": "2026-11-26"},
        ),
        (
            "wales.aln.advocacy.appeal-decided.v1",
            {"case_id": case_id, "decided_on": "2026-11-27", "outcome": "aln"},
        ),
    ]
    [kept] = await desk.rows(Appeal, appeal_id=appeal["appeal_id"])
    assert kept.order_due is not None and kept.order_due.isoformat() == "2027-01-08"


async def test_a_late_appeal_is_recorded_as_late(desk: Desk) -> None:
    closed = {**WINDOW, "due": "2026-11-20", "status": "overdue"}
    case_id = desk.case(clocks=[closed])
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/appeals", json={"lodged_on": "2026-11-26"}, headers=desk.officer()
    )
    assert r.status_code == 201 and r.json()["in_time"] is False


async def test_no_appealable_decision_no_appeal(desk: Desk) -> None:
    case_id = desk.case(
        clocks=[
            {"rule": "school-decision", "start": "2026-11-20", "due": None, "status": "running"}
        ]
    )
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/appeals", json={"lodged_on": "2026-11-26"}, headers=desk.officer()
    )
    assert r.status_code == 409 and r.json()["code"] == "advocacy.no-appeal-window"
    assert await desk.events(case_id) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("outcome", "order", "code"),
    [
        ("allowed", "prepare-idp", "aln"),
        ("conceded", "maintain-idp", "aln"),
        ("allowed", "revise-idp", "revise-idp"),
        ("dismissed", None, "dismissed"),
        ("withdrawn", None, "withdrawn"),
    ],
)
def test_the_outcome_code_the_journey_reads(outcome: str, order: str | None, code: str) -> None:
    """An order that keeps or gives an IDP reads as `aln`, so the journey does not close a
    no-ALN or ceasing case on it (workflows journey/facts.py `appeal_decided`)."""
    decision = AppealDecisionCreate.model_validate(
        {
            "decided_on": "2026-11-27",
            "outcome": outcome,
            "order": None if order is None else OrderCreate(kind=order, due="2027-01-08"),  # type: ignore[arg-type]
        }
    )
    assert appeal_outcome_code(decision) == code
