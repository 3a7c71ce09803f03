"""A plan's life on the service tier (real PostgreSQL, TestKafkaBroker): drafted once the
journey says ALN was decided, edited with every change kept, issued only with what the Act
requires, versioned with a diff, reviewed, moved and ceased, each step on `aln.idp.v1`."""

import uuid
from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from idp.models import IdpChange
from llwybr_common.audit import AuditRecord
from llwybr_common.db import session_scope
from llwybr_contracts.events import (
    AlnDecided,
    CaseOpened,
    CaseRoutedV2,
    ClockStarted,
    DeadlineAtRisk,
    HealthInputReceived,
)
from llwybr_contracts.states import CaseState, DecidingBody

from .conftest import CARDIFF, SCHOOL, SWANSEA, Desk

pytestmark = pytest.mark.service

MEASURABLE = {
    "outcome": "Darllen testun lefel 5 yn annibynnol",
    "measure": "Geiriau cywir y funud ar destun heb ei weld",
    "baseline": "22 gair y funud (Medi 2026)",
    "target": "40 gair y funud",
    "outcome_date": "2027-07-16",
    "provision": "Ymyrraeth ddarllen un-i-un",
    "frequency": "3 gwaith yr wythnos",
    "duration": "20 munud, am 30 wythnos",
    "group_size": "1:1",
    "welsh_delivery": True,
    "deliverer": "school",
    "start_date": "2026-12-01",
    "review_date": "2027-07-16",
    "rationale": "Mae'r asesiad yn dangos oedi darllen penodol.",
}
VAGUE = {
    "outcome": "Improve confidence",
    "provision": "Nurture group",
    "deliverer": "la",
}


async def draft(desk: Desk, headers: dict[str, str], **case: Any) -> tuple[str, str]:
    case_id = await desk.decided_case(**case)
    opened = await desk.http.post(f"/api/v1/cases/{case_id}/idp", json={}, headers=headers)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["version"], body["state"]) == (0, "draft")
    return case_id, body["idp_id"]


async def ready_to_issue(desk: Desk, idp_id: str, headers: dict[str, str]) -> None:
    base = f"/api/v1/idps/{idp_id}"
    r = await desk.http.put(
        f"{base}/sections/aln-description",
        json={"content": {"description": "Anhawster dysgu penodol: darllen"}, "reason": "asesiad"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    r = await desk.http.post(f"{base}/provision", json=MEASURABLE, headers=headers)
    assert r.status_code == 201, r.text


async def test_a_draft_needs_an_aln_decision_and_the_deciding_body(desk: Desk) -> None:
    no_aln = await desk.decided_case(has_aln=False)
    r = await desk.http.post(f"/api/v1/cases/{no_aln}/idp", headers=desk.officer())
    assert (r.status_code, r.json()["code"]) == (409, "idp.aln-not-decided")
    # A school decided this one: the authority's officer sees the case but does not prepare it.
    school_case = await desk.decided_case(deciding_body=DecidingBody.SCHOOL)
    r = await desk.http.post(f"/api/v1/cases/{school_case}/idp", headers=desk.officer())
    assert (r.status_code, r.json()["code"]) == (403, "idp.access.not-deciding-body")
    # Another authority does not learn the case exists.
    r = await desk.http.post(f"/api/v1/cases/{school_case}/idp", headers=desk.officer(SWANSEA))
    assert (r.status_code, r.json()["code"]) == (404, "idp.not-found.case")
    r = await desk.http.post(f"/api/v1/cases/{school_case}/idp", headers=desk.alnco())
    assert r.status_code == 201, r.text
    plan = (await desk.http.get(f"/api/v1/idps/{r.json()['idp_id']}", headers=desk.alnco())).json()
    # The maintaining body follows the deciding body (Act s.11).
    assert plan["maintainer"] == f"school:{SCHOOL}" and plan["authority"] == CARDIFF
    again = await desk.http.post(f"/api/v1/cases/{school_case}/idp", headers=desk.alnco())
    assert (again.status_code, again.json()["code"]) == (409, "idp.exists")
    await desk.relay()
    assert [e["data"]["case_id"] for e in desk.events("IdpDrafted")] == [school_case]


async def test_issue_names_what_is_missing_then_freezes_a_version(desk: Desk) -> None:
    officer = desk.officer()
    case_id, idp_id = await draft(desk, officer)
    base = f"/api/v1/idps/{idp_id}"
    empty = await desk.http.post(f"{base}/issue", json={}, headers=officer)
    assert empty.status_code == 422
    assert {e["field"] for e in empty.json()["errors"]} == {"aln_description", "provision"}
    await ready_to_issue(desk, idp_id, officer)
    vague = await desk.http.post(f"{base}/provision", json=VAGUE, headers=officer)
    # Flagged with the reasons, in Welsh and English; the author is warned, not stopped.
    flags = {f["code"]: f for f in vague.json()["flags"]}
    assert set(flags) == {"no-measure", "no-baseline", "no-target", "no-date", "vague-wording"}
    assert "gwella hyder" in flags["vague-wording"]["cy"]

    issued = await desk.http.post(
        f"{base}/issue", json={"issued_on": "2026-11-25", "reason": "first plan"}, headers=officer
    )
    assert issued.status_code == 200, issued.text
    assert issued.json() == {"idp_id": idp_id, "version": 1, "issued_on": "2026-11-25"}
    plan = (await desk.http.get(base, headers=officer)).json()
    assert plan["state"] == "active" and plan["flagged_outcomes"] == 1
    # Act ss.23-24: due the day before the anniversary of the copy first given.
    assert plan["review_due"] == "2027-11-24"
    await desk.relay()
    [event] = desk.events("IdpIssued")
    assert event["type"] == "wales.aln.idp.idp-issued.v2"
    # Version 2 counts the plan's provision and the items to be provided in Welsh (Act s.10).
    assert event["data"] == {
        "case_id": case_id,
        "idp_id": idp_id,
        "on": "2026-11-25",
        "provision_items": 2,
        "provision_items_in_welsh": 1,
    }
    nothing = await desk.http.post(f"{base}/issue", json={}, headers=officer)
    assert (nothing.status_code, nothing.json()["code"]) == (409, "idp.nothing-to-issue")

    # A change after issue goes into version 2, with who and why; version 1 stays as given.
    item_id = plan["provision"][1]["item_id"]
    fixed = {
        **VAGUE,
        "measure": "Boxall profile score",
        "baseline": "38",
        "target": "55",
        "outcome_date": "2027-03-31",
        "reason": "outcome made measurable",
    }
    r = await desk.http.put(f"{base}/provision/{item_id}", json=fixed, headers=officer)
    assert r.status_code == 200 and r.json()["flags"] == []
    r = await desk.http.post(f"{base}/issue", json={"issued_on": "2026-11-27"}, headers=officer)
    assert r.json()["version"] == 2
    v1 = (await desk.http.get(f"{base}/versions/1", headers=officer)).json()
    v2 = (await desk.http.get(f"{base}/versions/2", headers=officer)).json()
    assert v1["content"]["provision"][1]["measure"] is None and v1["flagged_outcomes"] == 1
    assert v2["flagged_outcomes"] == 0
    assert [(c["author"], c["reason"], c["action"]) for c in v2["changes"]] == [
        ("officer-W06000015", "outcome made measurable", "update")
    ]
    [change] = v2["diff"]
    assert change["target"] == f"provision:{item_id}" and "measure" in change["fields"]
    missing = await desk.http.get(f"{base}/versions/3", headers=officer)
    assert (missing.status_code, missing.json()["code"]) == (404, "idp.not-found.version")


async def test_a_health_answer_is_written_in_for_the_author_to_complete(desk: Desk) -> None:
    """Act s.21(3)-(4): the service the board identified, as provision that NHS body secures,
    with its Welsh-delivery advice; the plan cannot be issued until the author describes it."""
    officer = desk.officer()
    case_id = await desk.decided_case()
    # The answer may come before the draft exists: it is written in when the draft opens.
    answer = HealthInputReceived(
        case_id=case_id,
        request_id="hr-1",
        outcome="service-identified",
        welsh_delivery=True,
        answered_on=date(2026, 11, 20),
    )
    await desk.publish(answer, case_id=case_id, event_id="hr-1-received")
    await desk.publish(answer, case_id=case_id, event_id="hr-1-received")  # redelivered
    opened = await desk.http.post(f"/api/v1/cases/{case_id}/idp", headers=officer)
    idp_id = opened.json()["idp_id"]
    base = f"/api/v1/idps/{idp_id}"
    [item] = (await desk.http.get(base, headers=officer)).json()["provision"]
    # Cardiff's board is Cardiff and Vale (docs/rules.md section 5).
    assert item["deliverer"] == "nhs:W11000029" and item["needs_completion"] is True
    assert item["welsh_delivery"] is True and item["welsh_delivery_advice"] is True
    await ready_to_issue(desk, idp_id, officer)
    blocked = await desk.http.post(f"{base}/issue", json={}, headers=officer)
    assert blocked.status_code == 422
    assert [e["field"] for e in blocked.json()["errors"]] == [f"provision.{item['item_id']}"]
    completed = {
        **MEASURABLE,
        "deliverer": "nhs:W11000029",
        "provision": "Therapi iaith a lleferydd",
    }
    r = await desk.http.put(f"{base}/provision/{item['item_id']}", json=completed, headers=officer)
    assert r.status_code == 200 and r.json()["needs_completion"] is False
    assert (await desk.http.post(f"{base}/issue", json={}, headers=officer)).status_code == 200


async def test_review_transfer_and_cease(desk: Desk) -> None:
    officer = desk.officer()
    case_id, idp_id = await draft(desk, officer)
    base = f"/api/v1/idps/{idp_id}"
    await ready_to_issue(desk, idp_id, officer)
    await desk.http.post(f"{base}/issue", json={"issued_on": "2026-11-02"}, headers=officer)
    # The journey's clock and its at-risk warning put the plan on the list of reviews due.
    await desk.publish(
        ClockStarted(
            case_id=case_id, rule="idp-review", due=date(2027, 11, 1), start=date(2026, 11, 2)
        ),
        case_id=case_id,
    )
    await desk.publish(
        DeadlineAtRisk(
            case_id=case_id,
            rule="idp-review",
            due=date(2027, 11, 1),
            alert_role="la-officer",
            alert_scope=f"la:{CARDIFF}",
        ),
        case_id=case_id,
    )
    due = await desk.http.get(
        "/api/v1/idps",
        params={"maintainer": f"la:{CARDIFF}", "review_due_before": "2027-12-01"},
        headers=officer,
    )
    [listed] = [i for i in due.json()["items"] if i["idp_id"] == idp_id]
    assert listed["review_due"] == "2027-11-01" and listed["review_at_risk"] is True

    r = await desk.http.post(
        f"{base}/reviews", json={"held_on": "2026-11-26", "revised": False}, headers=officer
    )
    assert r.status_code == 201, r.text
    # Moved over the summer, registered after September: the plan does not carry (s.35).
    late = {
        "to_body": f"la:{SWANSEA}",
        "on": "2026-11-26",
        "left_on": "2026-07-20",
        "registered_on": "2026-10-05",
    }
    r = await desk.http.post(f"{base}/transfers", json=late, headers=officer)
    assert (r.status_code, r.json()["code"]) == (409, "idp.transfer-after-september")
    moved = {**late, "registered_on": "2026-09-07"}
    r = await desk.http.post(f"{base}/transfers", json=moved, headers=officer)
    assert r.status_code == 201 and r.json()["maintainer"] == f"la:{SWANSEA}"
    # Cardiff no longer sees it; Swansea maintains it now.
    gone = await desk.http.get(base, headers=officer)
    assert (gone.status_code, gone.json()["code"]) == (403, "idp.access.out-of-scope")
    swansea = desk.officer(SWANSEA)
    early = await desk.http.post(
        f"{base}/cease-decisions",
        json={"decision": "cease", "decided_on": "2026-11-27", "reasons": "x"},
        headers=swansea,
    )
    assert (early.status_code, early.json()["code"]) == (409, "idp.no-cease-proposal")
    r = await desk.http.post(
        f"{base}/cease-proposals",
        json={"reason": "left", "detail": "Moved to England", "proposed_on": "2026-11-26"},
        headers=swansea,
    )
    assert r.status_code == 201, r.text
    r = await desk.http.post(
        f"{base}/cease-decisions",
        json={"decision": "cease", "decided_on": "2026-11-27", "reasons": "Left Wales"},
        headers=swansea,
    )
    assert r.status_code == 201 and r.json()["state"] == "ceased"
    await desk.relay()
    assert [e["data"]["revised"] for e in desk.events("IdpReviewed")] == [False]
    [moved_event] = desk.events("IdpTransferred")
    assert moved_event["data"]["to_body"] == f"la:{SWANSEA}"
    [ceased] = desk.events("IdpCeased")
    # Codes and dates only on Kafka: the reason's code, never the free text.
    assert ceased["data"]["reason"] == "left" and "England" not in str(ceased)


async def test_every_change_and_read_is_audited_with_its_author(desk: Desk) -> None:
    officer = desk.officer()
    _, idp_id = await draft(desk, officer)
    await ready_to_issue(desk, idp_id, officer)
    await desk.http.get(f"/api/v1/idps/{idp_id}", headers=officer)
    async with session_scope(desk.rt.engine) as session:
        actions = [
            (a.action, a.actor)
            for a in (
                await session.exec(select(AuditRecord).where(AuditRecord.resource_id == idp_id))
            ).all()
        ]
        changes = (await session.exec(select(IdpChange).where(IdpChange.idp_id == idp_id))).all()
    assert ("create", "officer-W06000015") in actions
    assert ("update", "officer-W06000015") in actions
    assert ("read", "officer-W06000015") in actions
    assert {c.target for c in changes} >= {"aln-description"}
    assert all(c.author == "officer-W06000015" for c in changes)


async def test_a_revised_review_gives_the_next_version(desk: Desk) -> None:
    """Act s.24: a review that revises the plan gives the revised plan that day: the working
    copy's changes are frozen as the next version and `IdpReviewed` says it was revised."""
    officer = desk.officer()
    _, idp_id = await draft(desk, officer)
    base = f"/api/v1/idps/{idp_id}"
    await ready_to_issue(desk, idp_id, officer)
    await desk.http.post(f"{base}/issue", json={"issued_on": "2026-11-02"}, headers=officer)
    unchanged = await desk.http.post(
        f"{base}/reviews", json={"held_on": "2026-11-26", "revised": True}, headers=officer
    )
    assert unchanged.status_code == 422
    assert unchanged.json()["errors"][0]["field"] == "revised"
    await desk.http.put(
        f"{base}/sections/profile",
        json={"content": {"important_to_me": "Nofio"}, "reason": "review"},
        headers=officer,
    )
    r = await desk.http.post(
        f"{base}/reviews",
        json={"held_on": "2026-11-26", "revised": True, "changes": "Proffil"},
        headers=officer,
    )
    assert r.status_code == 201 and r.json()["version"] == 2
    v2 = (await desk.http.get(f"{base}/versions/2", headers=officer)).json()
    assert v2["issued_on"] == "2026-11-26" and v2["diff"] == [
        {"target": "profile", "change": "changed"}
    ]
    await desk.relay()
    assert [e["data"]["revised"] for e in desk.events("IdpReviewed")] == [True]
    assert len(desk.events("IdpIssued")) == 1  # the journey hears of the review, not an issue


async def test_the_list_finds_a_cases_plan_by_case_id_within_the_callers_scope(
    desk: Desk,
) -> None:
    officer = desk.officer()
    case_id, idp_id = await draft(desk, officer)
    _, other_idp = await draft(desk, officer)
    r = await desk.http.get("/api/v1/idps", params={"case_id": case_id}, headers=officer)
    assert r.status_code == 200, r.text
    assert [(i["idp_id"], i["case_id"]) for i in r.json()["items"]] == [(idp_id, case_id)]
    # Only the plan shown is a read in the audit log, not every plan in the officer's scope.
    async with session_scope(desk.rt.engine) as session:
        listed = (
            await session.exec(
                select(AuditRecord.resource_id).where(
                    AuditRecord.purpose == "GET /api/v1/idps (list)"
                )
            )
        ).all()
    assert list(listed) == [idp_id]
    # Another authority's officer gets an empty list: not whether the case has a plan.
    swansea = desk.officer(SWANSEA)
    r = await desk.http.get("/api/v1/idps", params={"case_id": case_id}, headers=swansea)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await desk.http.get("/api/v1/idps", params={"case_id": "no-such-case"}, headers=officer)
    assert r.json()["items"] == []
    r = await desk.http.get("/api/v1/idps", params={"case_id": "x" * 65}, headers=officer)
    assert r.status_code == 422 and "case_id" in r.text
    # Without the filter the list still holds both.
    r = await desk.http.get("/api/v1/idps", headers=officer)
    assert {idp_id, other_idp} <= {i["idp_id"] for i in r.json()["items"]}


async def test_a_college_prepares_and_maintains_its_students_plan(desk: Desk) -> None:
    # Act s.11: a further education institution decides for its student and maintains the plan;
    # referral names it (by UKPRN) in version 2 of CaseRouted.
    college, other_college = "10099001", "10099002"  # the shipped register's
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    fei = DecidingBody.FEI
    await desk.publish(
        CaseOpened(case_id=case_id, child_ref="child-fei", authority=CARDIFF,
                   received_on=date(2026, 9, 14), state=CaseState.DECISION_PENDING,
                   deciding_body=fei),
        case_id=case_id,
    )  # fmt: skip
    await desk.publish(
        CaseRoutedV2(case_id=case_id, deciding_body=fei, reason="fei-student",
                     institution=college),
        case_id=case_id,
    )  # fmt: skip
    await desk.publish(
        AlnDecided(case_id=case_id, has_aln=True, deciding_body=fei, decided_on=date(2026, 11, 2)),
        case_id=case_id,
    )

    def fei_alnco(ukprn: str) -> dict[str, str]:
        return desk.token(["fei-alnco"], [f"fei:{ukprn}"], subject=f"alnco-{ukprn}")

    r = await desk.http.post(f"/api/v1/cases/{case_id}/idp", headers=desk.officer())
    assert (r.status_code, r.json()["code"]) == (403, "idp.access.not-deciding-body")
    r = await desk.http.post(f"/api/v1/cases/{case_id}/idp", headers=fei_alnco(other_college))
    assert (r.status_code, r.json()["code"]) == (404, "idp.not-found.case")
    r = await desk.http.post(f"/api/v1/cases/{case_id}/idp", headers=fei_alnco(college))
    assert r.status_code == 201, r.text
    idp_id = r.json()["idp_id"]
    await ready_to_issue(desk, idp_id, fei_alnco(college))
    listed = await desk.http.get("/api/v1/idps", headers=fei_alnco(college))
    [plan] = [p for p in listed.json()["items"] if p["idp_id"] == idp_id]
    assert plan["maintainer"] == f"fei:{college}"
    r = await desk.http.get(f"/api/v1/idps/{idp_id}", headers=fei_alnco(other_college))
    assert r.status_code == 403
