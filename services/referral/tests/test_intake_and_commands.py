"""Referral intake and case commands on the service tier: real PostgreSQL, a fake journey.
What a caller notices: the case and its events are written together (or not at all), the first
clock is reported, refusals come back with a stable code in Welsh or English."""

import uuid
from datetime import date
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from llwybr_common.errors import Conflict
from llwybr_contracts import journey as j
from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE
from referral.journey_client import refusal_error, unavailable
from referral.models import CaseNote

from .conftest import SWANSEA, TODAY, Desk

pytestmark = pytest.mark.service

REFUSED_CY = "Ni chaniateir hyn yng nghyflwr presennol yr achos"


def referral(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "parent",
        "received_on": "2026-11-20",
        "learner": {
            "given_name": "Cai",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2017-05-02",
        },
        "authority": "Caerdydd",
        "concern": "Reading well below age",
    }
    body.update(overrides)
    return body


async def open_case(desk: Desk, **overrides: Any) -> str:
    r = await desk.http.post(
        "/api/v1/referrals", json=referral(**overrides), headers=desk.officer()
    )
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def test_intake_writes_the_case_with_its_events_starts_the_journey_and_reports_the_clock(
    desk: Desk,
) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    assert r.status_code == 201, r.text
    body = r.json()
    case_id = body["case_id"]
    assert (body["deciding_body"], body["routing_reason"]) == ("local-authority", "not-at-school")
    assert body["clock"] == {
        "rule": "la-decision",
        "due": "2027-01-22",
        "why_null": None,
        "assumed": True,  # a Code limit, rolled over as the Regs roll theirs [assumed]
    }
    assert sorted(await desk.events(case_id)) == [
        "wales.aln.referral.case-opened.v2",
        "wales.aln.referral.case-routed.v2",
        "wales.aln.referral.referral-received.v2",
    ]
    assert desk.relay.woken == 1, "the relay is woken once, after the commit"
    (started,) = desk.journey.started
    assert started.case_id == case_id and started.authority == "W06000015"
    assert "Cai" not in started.model_dump_json(), "no names reach the journey"
    assert await desk.audit(case_id) == [("create", "ok")]


async def test_a_second_referral_is_refused_in_welsh_unless_attached(desk: Desk) -> None:
    body = referral()
    case_id = await open_case(desk, **body)
    again = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer(lang="cy"))
    assert again.status_code == 409
    problem = again.json()
    assert problem["code"] == "duplicate-referral"
    assert problem["title"] == "Mae gan y dysgwr achos agored eisoes"
    assert case_id in problem["detail"] and problem["open_case"]["case_id"] == case_id
    attached = await desk.http.post(
        "/api/v1/referrals", json={**body, "attach_to_open_case": True}, headers=desk.officer()
    )
    assert attached.status_code == 200 and attached.json()["attached"] is True
    assert len(desk.journey.started) == 1, "attaching starts no second journey"


async def test_a_bad_referral_names_every_field_in_welsh_and_writes_nothing(desk: Desk) -> None:
    bad = referral(authority="Atlantis", received_on="2099-01-01")
    bad["learner"]["nhs_number"] = "9434765918"
    cy = await desk.http.post("/api/v1/referrals", json=bad, headers=desk.officer(lang="cy"))
    en = await desk.http.post("/api/v1/referrals", json=bad, headers=desk.officer(lang="en"))
    assert cy.status_code == en.status_code == 422
    assert cy.json()["code"] == en.json()["code"] == "validation"
    assert cy.json()["title"] == "Nid yw'r cais yn ddilys"
    reasons = {e["field"]: (e["code"], e["reason"]) for e in cy.json()["errors"]}
    assert reasons["authority"][0] == "unknown-authority"
    assert reasons["authority"][1].startswith("nid yw Atlantis yn awdurdod lleol yng Nghymru")
    assert reasons["received_on"] == (
        "received-in-future",
        "ni all y dyddiad y daeth y mater i sylw fod yn y dyfodol",
    )
    assert reasons["learner.nhs_number"][0] == "nhs-number-invalid"
    assert {e["code"] for e in en.json()["errors"]} == {c for c, _ in reasons.values()}
    assert await desk.cases() == [] and desk.relay.woken == 0


async def test_referring_outside_your_authority_is_403_and_writes_nothing(desk: Desk) -> None:
    r = await desk.http.post(
        "/api/v1/referrals", json=referral(), headers=desk.officer(SWANSEA, lang="cy")
    )
    assert r.status_code == 403
    assert (r.json()["code"], r.json()["title"]) == ("access.referral-scope", "Dim mynediad")
    assert await desk.cases() == [] and desk.journey.started == []


async def test_an_accepted_command_reaches_the_journey_and_keeps_its_note(desk: Desk) -> None:
    case_id = await open_case(desk)
    decision = {"outcome": "no-aln", "decided_on": "2026-11-23", "note": "Reasons given"}
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/decision", json=decision, headers=desk.officer()
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "decision-pending"
    ((sent_case, update, payload),) = desk.journey.commands
    assert (sent_case, update) == (case_id, j.UPDATE_RECORD_DECISION)
    assert isinstance(payload, j.RecordDecision) and payload.outcome == "no-aln"
    (note,) = await desk.rows(CaseNote, case_id=case_id)
    assert note.text == "Reasons given"
    assert ("command", "ok") in await desk.audit(case_id)


async def test_a_journey_refusal_is_409_with_its_code_in_welsh_and_english(desk: Desk) -> None:
    case_id = await open_case(desk)
    refusal = ApplicationError(
        "not-decision-pending",
        {"code": "not-decision-pending", "params": {"state": "no-aln"}},
        type=REFUSAL_ERROR_TYPE,
        non_retryable=True,
    )
    desk.journey.refuse_with = refusal_error(refusal, "")
    decision = {"outcome": "aln", "decided_on": "2026-11-23"}
    path = f"/api/v1/cases/{case_id}/decision"
    cy = await desk.http.post(path, json=decision, headers=desk.officer(lang="cy"))
    en = await desk.http.post(path, json=decision, headers=desk.officer(lang="en"))
    assert cy.status_code == en.status_code == 409
    assert cy.json()["code"] == en.json()["code"] == "refused.not-decision-pending"
    assert cy.json()["title"] == REFUSED_CY
    assert cy.json()["detail"] == "Nid yw'r achos yn aros am benderfyniad (cyflwr: no-aln)."
    assert en.json()["detail"] == "The case is not waiting for a decision (state: no-aln)."
    assert await desk.rows(CaseNote, case_id=case_id) == [], "a refused command records nothing"


async def test_a_refusal_without_a_code_keeps_the_journeys_english_reason(desk: Desk) -> None:
    case_id = await open_case(desk)
    plain = ApplicationError("a decision has already been recorded", type="ValueError")
    desk.journey.refuse_with = refusal_error(plain, "")
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/decision",
        json={"outcome": "aln", "decided_on": "2026-11-23"},
        headers=desk.officer(lang="cy"),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "command-refused" and r.json()["title"] == REFUSED_CY
    assert r.json()["detail"].endswith("a decision has already been recorded")


async def test_a_journey_not_started_yet_is_503_with_retry_after(desk: Desk) -> None:
    case_id = await open_case(desk)
    desk.journey.refuse_with = unavailable("journey-unavailable.not-started", case_id=case_id)
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/health-requests",
        json={"reason": "speech"},
        headers=desk.officer(lang="cy"),
    )
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["title"] == "Nid yw taith yr achos ar gael eto"


async def test_a_command_on_another_authoritys_case_is_404_and_the_denial_is_audited(
    desk: Desk,
) -> None:
    """Out of scope answers as if there were no such case: nothing reveals it exists."""
    case_id = await open_case(desk)
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/health-requests",
        json={"reason": "speech"},
        headers=desk.officer(SWANSEA, lang="en"),
    )
    assert r.status_code == 404 and r.json()["code"] == "not-found.case"
    assert r.json()["title"] == "Not found"
    assert ("denied", "not-visible") in await desk.audit(case_id)
    assert desk.journey.commands == []


async def test_a_rule_across_fields_of_a_command_is_a_welsh_422(desk: Desk) -> None:
    case_id = await open_case(desk)
    pause = {"action": "pause", "rule": "la-decision", "reason": "other", "from": "2026-11-23"}
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/exceptions", json=pause, headers=desk.officer(lang="cy")
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "note",
            "code": "note-required-for-other",
            "reason": "mae angen nodyn yn dweud pam ar gyfer y rheswm `other`",
        }
    ]
    assert desk.journey.commands == []


async def test_a_bad_cursor_is_a_422_naming_the_cursor(desk: Desk) -> None:
    r = await desk.http.get("/api/v1/cases", params={"cursor": "nonsense!"}, headers=desk.officer())
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("cursor", "bad-cursor")]


def test_a_refusal_with_an_unreadable_detail_falls_back_to_its_message() -> None:
    odd = ApplicationError("case-closed", "not a dict", type=REFUSAL_ERROR_TYPE)
    error = refusal_error(odd, "")
    assert isinstance(error, Conflict) and error.code == "command-refused"
    assert error.params == {"reason": "case-closed"}


async def test_the_case_list_filters_by_rule_and_reference_and_shows_each_cases_open_clocks(
    desk: Desk,
) -> None:
    """The console's worktray: a case's open clocks with whether the journey has warned that
    one is at risk; a filter by an open clock's rule; a search by case or child reference."""
    from datetime import UTC, date, datetime

    from llwybr_common.db import session_scope
    from referral.models import CaseClock, TimelineEntry

    warned, quiet = await open_case(desk), await open_case(desk)
    async with session_scope(desk.rt.engine) as session:
        for case_id, rule, status, due in (
            (warned, "la-decision", "running", date(2026, 12, 4)),
            (warned, "health-response", "paused", None),
            (quiet, "la-decision", "met", date(2026, 12, 1)),
        ):
            session.add(
                CaseClock(id=uuid.uuid4().hex, case_id=case_id, rule=rule, status=status, due=due)
            )
        session.add(
            TimelineEntry(
                id=uuid.uuid4().hex,
                case_id=warned,
                at=datetime.now(UTC),
                kind="DeadlineAtRisk",
                detail="la-decision due 2026-12-04, level 0, alert la-officer of la:W06000015",
            )
        )

    async def listed(**params: str) -> dict[str, Any]:
        r = await desk.http.get("/api/v1/cases", params=params, headers=desk.officer())
        assert r.status_code == 200, r.text
        return {i["case_id"]: i for i in r.json()["items"]}

    by_rule = await listed(rule="health-response")
    assert set(by_rule) == {warned}  # a paused clock is still open
    assert by_rule[warned]["open_clocks"] == [
        {
            "rule": "la-decision",
            "subject": None,
            "due": "2026-12-04",
            "status": "running",
            "at_risk": True,
        },
        {
            "rule": "health-response",
            "subject": None,
            "due": None,
            "status": "paused",
            "at_risk": False,
        },
    ]
    assert set(await listed(rule="la-decision")) == {warned}  # the met clock is not open
    assert set(await listed(reference=quiet)) == {quiet}
    r = await desk.http.get("/api/v1/cases", params={"rule": "no-such"}, headers=desk.officer())
    assert r.status_code == 422
    ref = (await desk.http.get(f"/api/v1/cases/{warned}", headers=desk.officer())).json()[
        "child_ref"
    ]
    assert set(await listed(reference=ref)) == {warned}


async def test_the_case_list_audits_a_read_of_every_case_it_shows_and_no_other(
    desk: Desk,
) -> None:
    """The worktray lists learners' names, so each listed case is a read in the audit log, by
    the caller and for the list; a case the caller may not see leaves no read behind."""
    from llwybr_common.audit import AuditRecord

    shown, hidden = await open_case(desk), await open_case(desk)
    r = await desk.http.get(
        "/api/v1/cases", params={"reference": shown}, headers=desk.officer(SWANSEA)
    )
    assert r.status_code == 200 and r.json()["items"] == []
    r = await desk.http.get("/api/v1/cases", params={"reference": shown}, headers=desk.officer())
    assert [i["case_id"] for i in r.json()["items"]] == [shown]
    reads = [
        (a.actor, a.resource, a.resource_id, a.purpose)
        for a in await desk.rows(AuditRecord, case_id=shown, action="read")
    ]
    assert reads == [("test-la-officer", "case", shown, "case list")]
    assert ("read", "ok") not in await desk.audit(hidden)


async def test_a_health_request_recorded_afterwards_keeps_the_day_it_was_sent(desk: Desk) -> None:
    """The board's 6 weeks run from the day the request was sent (Act s.88(6)); a request sent
    by post and recorded later says so, else it was sent today."""
    case_id = await open_case(desk)
    for body in ({"reason": "speech", "sent_on": "2026-10-01"}, {"reason": "hearing"}):
        r = await desk.http.post(
            f"/api/v1/cases/{case_id}/health-requests", json=body, headers=desk.officer()
        )
        assert r.status_code == 202, r.text
    sent = [p.sent_on for _, update, p in desk.journey.commands if hasattr(p, "sent_on")]
    assert sent == [date(2026, 10, 1), TODAY]
