"""The DECLO inbox on the service tier: routing from the journey's events, the inbox contract,
access by board and authority, responses and their events, refusals and bad input."""

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from health_liaison.models import HealthInputRequest
from llwybr_common.audit import AuditRecord
from llwybr_common.outbox import OutboxMessage
from llwybr_contracts.events import (
    ClockChanged,
    HealthInputRequested,
    HealthInputWithdrawn,
)

from .conftest import CARDIFF, CARDIFF_AND_VALE, SWANSEA, SWANSEA_BAY, Desk

pytestmark = pytest.mark.service

INBOX_KEYS = {
    "request_id",
    "case_id",
    "board",
    "received_on",
    "due",
    "days_remaining",
    "status",
    "overdue",
}


def requested(
    request_id: str,
    *,
    authority: str = CARDIFF,
    start: date = date(2026, 11, 16),
    due: date | None = None,
) -> HealthInputRequested:
    return HealthInputRequested(
        case_id=f"case-{request_id}",
        request_id=request_id,
        authority=authority,
        start=start,
        due=due,
    )


async def send(desk: Desk, event: Any, **kw: Any) -> None:
    await desk.publish(event, case_id=event.case_id, **kw)


async def stored(desk: Desk, request_id: str) -> HealthInputRequest | None:
    async for session in desk.session():
        return await session.get(HealthInputRequest, request_id)
    return None


async def inbox(desk: Desk, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await desk.http.get("/api/v1/health-requests", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_cardiff_request_reaches_cardiff_and_vale_only(desk: Desk) -> None:
    desk.set_today(date(2026, 11, 23))
    await send(desk, requested("r1"))
    await send(desk, requested("r1"))  # a repeat from the journey is a no-op

    request = await stored(desk, "r1")
    assert request is not None
    assert (request.board, request.status, request.received_on) == (
        CARDIFF_AND_VALE,
        "open",
        date(2026, 11, 16),
    )
    # Regs reg 11: 16 Nov + 42 = Mon 28 Dec, the Boxing Day substitute holiday: Tue 29 Dec.
    assert request.due == date(2026, 12, 29)

    page = await inbox(desk, desk.declo())
    assert page["next"] is None
    assert [set(i) >= INBOX_KEYS for i in page["items"]] == [True]
    item = page["items"][0]
    assert {k: item[k] for k in INBOX_KEYS} == {
        "request_id": "r1",
        "case_id": "case-r1",
        "board": CARDIFF_AND_VALE,
        "received_on": "2026-11-16",
        "due": "2026-12-29",
        "days_remaining": 36,
        "status": "open",
        "overdue": False,
    }
    assert (await inbox(desk, desk.declo(SWANSEA_BAY)))["items"] == []
    other = await desk.http.get("/api/v1/health-requests/r1", headers=desk.declo(SWANSEA_BAY))
    assert other.status_code == 404


async def test_the_journeys_due_date_is_kept_and_its_clock_followed(desk: Desk) -> None:
    await send(desk, requested("r2", due=date(2027, 1, 4)))
    assert (await stored(desk, "r2")).due == date(2027, 1, 4)  # type: ignore[union-attr]

    change = ClockChanged(
        case_id="case-r2",
        rule="health-response",
        due=date(2027, 1, 11),
        request_id="r2",
        change="recomputed",
        previous_due=date(2027, 1, 4),
    )
    await send(desk, change)
    assert (await stored(desk, "r2")).due == date(2027, 1, 11)  # type: ignore[union-attr]
    other_clock = change.model_copy(update={"rule": "la-decision", "due": date(2030, 1, 1)})
    await send(desk, other_clock)
    assert (await stored(desk, "r2")).due == date(2027, 1, 11)  # type: ignore[union-attr]


async def test_inbox_sorts_by_due_pages_and_filters(desk: Desk) -> None:
    today = date(2026, 12, 1)
    desk.set_today(today)
    for n, start in enumerate([date(2026, 10, 1), date(2026, 11, 2), date(2026, 10, 25)]):
        await send(desk, requested(f"p{n}", start=start))
    await send(desk, requested("p-swansea", authority=SWANSEA))

    first = await inbox(desk, desk.declo(), limit=2)
    assert [i["request_id"] for i in first["items"]] == ["p0", "p2"]
    assert first["next"]
    second = await inbox(desk, desk.declo(), limit=2, cursor=first["next"])
    assert [i["request_id"] for i in second["items"]] == ["p1"]
    assert second["next"] is None

    late = await inbox(desk, desk.declo(), overdue="true")
    assert [i["request_id"] for i in late["items"]] == ["p0"]  # due 12 Nov, breached
    assert late["items"][0]["days_remaining"] < 0 and late["items"][0]["overdue"] is True
    before = await inbox(desk, desk.declo(), due_before="2026-12-07")
    assert [i["request_id"] for i in before["items"]] == ["p0"]

    assigned = await desk.http.post(
        "/api/v1/health-requests/p1/assign",
        json={"kind": "team", "assignee": "paediatric-slt"},
        headers=desk.declo(),
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned"
    mine = await inbox(desk, desk.declo(), assigned_to="paediatric-slt")
    assert [i["request_id"] for i in mine["items"]] == ["p1"]
    by_status = await inbox(desk, desk.declo(), status="assigned")
    assert [i["request_id"] for i in by_status["items"]] == ["p1"]

    bad = await desk.http.get(
        "/api/v1/health-requests", params={"cursor": "nonsense!"}, headers=desk.declo()
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "cursor"

    async for session in desk.session():
        reads = (
            await session.exec(select(AuditRecord).where(AuditRecord.resource == "health-request"))
        ).all()
    assert {r.resource_id for r in reads if r.action == "read"} >= {"p0", "p1", "p2"}


async def test_a_response_publishes_the_outcome_only_and_is_given_once(desk: Desk) -> None:
    desk.set_today(date(2026, 12, 1))
    await send(desk, requested("a1"))
    url = "/api/v1/health-requests/a1/response"

    missing = await desk.http.post(url, json={"notes": "seen"}, headers=desk.declo())
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["outcome"]
    welsh_on_none = await desk.http.post(
        url, json={"outcome": "no-service", "welsh_delivery": True}, headers=desk.declo()
    )
    assert welsh_on_none.status_code == 422
    assert welsh_on_none.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in welsh_on_none.json()["errors"]] == ["welsh_delivery"]
    assert (await stored(desk, "a1")).status == "open"  # type: ignore[union-attr]
    la_tries = await desk.http.post(url, json={"outcome": "no-service"}, headers=desk.la_officer())
    assert la_tries.status_code == 403

    answer = {
        "outcome": "service-identified",
        "service": "Speech and language therapy, community paediatric team",
        "welsh_delivery": True,
        "notes": "Assessed 30 Nov; expressive language delay.",
    }
    response = await desk.http.post(url, json=answer, headers=desk.declo())
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "responded"
    assert response.json()["clock_state"] == "met", "the answer meets the 6 weeks (reg 11)"
    assert await desk.relay() == 1
    assert len(desk.published) == 1
    event = desk.published[0]
    assert event["type"] == "wales.aln.health.health-input-received.v1"
    assert event["subject"] == "case-a1"
    assert event["data"] == {
        "case_id": "case-a1",
        "request_id": "a1",
        "outcome": "service-identified",
        "welsh_delivery": True,
        "answered_on": "2026-12-01",
    }
    assert "expressive" not in str(event) and "Speech" not in str(event)

    again = await desk.http.post(url, json={"outcome": "no-service"}, headers=desk.declo())
    assert again.status_code == 409
    assert "answered on 2026-12-01" in again.json()["detail"]

    # The LA officer of the learner's authority sees the outcome, never the notes.
    la_view = await desk.http.get("/api/v1/health-requests/a1", headers=desk.la_officer())
    assert la_view.status_code == 200
    body = la_view.json()
    assert (body["outcome"], body["welsh_delivery"]) == ("service-identified", True)
    assert body["clock_state"] == "met"
    assert "clinical_notes" not in body and "learner" not in body
    other_la = await desk.http.get("/api/v1/health-requests/a1", headers=desk.la_officer(SWANSEA))
    assert other_la.status_code == 404


async def test_impractical_lifts_the_limit_and_withdrawal_stops_answers(desk: Desk) -> None:
    desk.set_today(date(2026, 12, 1))
    await send(desk, requested("i1"))
    url = "/api/v1/health-requests/i1/impractical"
    empty = await desk.http.post(url, json={"reason": "  "}, headers=desk.declo())
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "reason"
    ok = await desk.http.post(
        url, json={"reason": "Only paediatric audiologist on long-term leave"}, headers=desk.declo()
    )
    assert ok.status_code == 200 and ok.json()["status"] == "impractical"
    assert (
        await desk.http.post(url, json={"reason": "x"}, headers=desk.declo())
    ).status_code == 409
    await desk.relay()
    assert [e["type"] for e in desk.published] == ["wales.aln.health.health-input-impractical.v1"]
    assert desk.published[0]["data"] == {
        "case_id": "case-i1",
        "request_id": "i1",
        "recorded_on": "2026-12-01",
    }
    # The duty to answer survives a lifted limit (reg 11(3) lifts the time, not the duty).
    late_answer = await desk.http.post(
        "/api/v1/health-requests/i1/response", json={"outcome": "no-service"}, headers=desk.declo()
    )
    assert late_answer.status_code == 200

    await send(desk, requested("w1"))
    await send(
        desk,
        HealthInputWithdrawn(case_id="case-w1", request_id="w1", withdrawn_on=date(2026, 11, 20)),
    )
    assert (await stored(desk, "w1")).status == "withdrawn"  # type: ignore[union-attr]
    refused = await desk.http.post(
        "/api/v1/health-requests/w1/response", json={"outcome": "no-service"}, headers=desk.declo()
    )
    assert refused.status_code == 409
    assert "withdrawn on 2026-11-20" in refused.json()["detail"]
    async for session in desk.session():
        rows = (
            await session.exec(select(OutboxMessage).where(col(OutboxMessage.key) == "case-w1"))
        ).all()
    assert rows == []


async def test_roles_without_a_scope_see_nothing(desk: Desk) -> None:
    await send(desk, requested("s1"))
    for headers in (
        desk.token(["declo"], []),
        desk.token(["school-alnco"], ["school:123"]),
        desk.token(["la-officer"], [f"board:{CARDIFF_AND_VALE}"]),
    ):
        response = await desk.http.get("/api/v1/health-requests", headers=headers)
        assert response.status_code == 403, headers
    assert (await desk.http.get("/api/v1/health-requests")).status_code == 401


async def test_timeliness_per_board_and_authority(desk: Desk) -> None:
    today = date(2026, 12, 2)  # a Wednesday
    desk.set_today(today)
    await send(desk, requested("t-late", start=date(2026, 10, 1)))  # due 12 Nov: overdue
    await send(desk, requested("t-week", start=today - timedelta(days=41)))  # due this week
    await send(desk, requested("t-fast", authority="W06000014", start=date(2026, 10, 20)))
    await send(desk, requested("t-slow", start=date(2026, 9, 1)))
    for rid in ("t-fast", "t-slow"):
        answered = await desk.http.post(
            f"/api/v1/health-requests/{rid}/response",
            json={"outcome": "no-service"},
            headers=desk.declo(),
        )
        assert answered.status_code == 200
    response = await desk.http.get(
        "/api/v1/health-requests/timeliness",
        params={"from": "2026-11-01", "to": "2026-12-31"},
        headers=desk.token(["board-aln-lead"], [f"board:{CARDIFF_AND_VALE}"]),
    )
    assert response.status_code == 200, response.text
    [cav] = response.json()["boards"]
    assert cav["board"] == CARDIFF_AND_VALE and cav["name_cy"].startswith("Bwrdd Iechyd")
    assert (cav["open"], cav["due_this_week"], cav["overdue"]) == (2, 1, 1)
    assert cav["answered_in_period"] == 2
    # 20 Oct -> 2 Dec is 43 days (due 1 Dec: one day late); 1 Sep -> 2 Dec is 92 days.
    assert cav["median_days_to_respond"] == 67.5
    assert cav["answered_within_6_weeks_percent"] == 0.0
    by_authority = {a["authority"]: a for a in cav["authorities"]}
    assert set(by_authority) == {CARDIFF, "W06000014"}
    assert by_authority[CARDIFF]["overdue"] == 1
    assert by_authority["W06000014"]["answered_in_period"] == 1


async def test_a_paused_clock_has_no_due_date_and_sorts_last(desk: Desk) -> None:
    desk.set_today(date(2026, 12, 1))
    await send(desk, requested("c1"))
    await send(desk, requested("c2", start=date(2026, 11, 20)))
    await send(
        desk,
        ClockChanged(
            case_id="case-c1",
            rule="health-response",
            due=None,
            request_id="c1",
            change="paused",
            previous_due=date(2026, 12, 29),
        ),
    )
    items = (await inbox(desk, desk.declo()))["items"]
    assert [(i["request_id"], i["due"], i["days_remaining"]) for i in items] == [
        ("c2", "2027-01-04", 34),  # 20 Nov + 42 = Fri 1 Jan 2027, a bank holiday: Mon 4 Jan
        ("c1", None, None),
    ]
    assert (await stored(desk, "c1")).clock_state == "paused"  # type: ignore[union-attr]


async def test_an_answer_given_stands_when_the_request_is_withdrawn(desk: Desk) -> None:
    desk.set_today(date(2026, 12, 1))
    await send(desk, requested("x1"))
    response = await desk.http.post(
        "/api/v1/health-requests/x1/response", json={"outcome": "no-service"}, headers=desk.declo()
    )
    assert response.status_code == 200
    await send(
        desk,
        HealthInputWithdrawn(case_id="case-x1", request_id="x1", withdrawn_on=date(2026, 12, 2)),
    )
    request = await stored(desk, "x1")
    assert request is not None
    assert (request.status, request.withdrawn_on) == ("responded", date(2026, 12, 2))


async def test_a_read_outside_the_board_is_refused_and_audited(desk: Desk) -> None:
    await send(desk, requested("o1"))
    response = await desk.http.get("/api/v1/health-requests/o1", headers=desk.declo(SWANSEA_BAY))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    async for session in desk.session():
        denied = (
            await session.exec(select(AuditRecord).where(AuditRecord.resource_id == "o1"))
        ).all()
    assert [(a.action, a.actor, a.case_id) for a in denied] == [
        ("denied", f"declo-{SWANSEA_BAY}", "case-o1")
    ]
