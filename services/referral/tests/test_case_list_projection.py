"""The case list stays true: a school's referral to the LA (Act s.12(2)) changes the case
list's deciding body, and the projection rebuilt from the journey's events puts right what a
lost event left wrong, the same however often it runs."""

from datetime import date
from typing import Any

import pytest

from llwybr_common.db import session_scope
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import ClockMet, ClockStarted, Event, ReferredToLa
from referral import projection

from .conftest import Desk
from .test_intake_and_commands import open_case

pytestmark = pytest.mark.service

SCHOOL = "6812345"


def journey_events(case_id: str) -> list[tuple[CloudEvent, Event]]:
    events: list[Event] = [
        ClockStarted(case_id=case_id, rule="school-decision", start=date(2026, 11, 20),
                     due=date(2027, 1, 28)),
        ClockMet(case_id=case_id, rule="school-decision", due=date(2027, 1, 28),
                 met_on=date(2026, 12, 1)),
        ReferredToLa(case_id=case_id, authority="W06000015", referred_on=date(2026, 12, 1)),
        ClockStarted(case_id=case_id, rule="la-decision", start=date(2026, 12, 1),
                     due=date(2027, 2, 23)),
    ]  # fmt: skip
    return [
        (wrap(e, event_id=f"{case_id}-{i}", source="/llwybr/worker", subject=case_id), e)
        for i, e in enumerate(events)
    ]


async def listed(desk: Desk, case_id: str) -> dict[str, Any]:
    r = await desk.http.get("/api/v1/cases", params={"limit": 500}, headers=desk.officer())
    assert r.status_code == 200, r.text
    [item] = [c for c in r.json()["items"] if c["case_id"] == case_id]
    return item  # type: ignore[no-any-return]


async def test_referral_to_the_la_changes_the_deciding_body_and_a_rebuild_agrees(
    desk: Desk,
) -> None:
    case_id = await open_case(
        desk, source="school", school={"name": "Ysgol Enghraifft", "ref": SCHOOL}
    )
    before = await listed(desk, case_id)
    assert before["deciding_body"] == "school"
    events = journey_events(case_id)
    async with session_scope(desk.rt.engine) as session:
        for envelope, event in events:
            await projection.apply(session, envelope, event)
    after = await listed(desk, case_id)
    assert (after["deciding_body"], after["deciding_authority"]) == (
        "local-authority",
        "W06000015",
    )
    assert (after["next_rule"], after["next_due"]) == ("la-decision", "2027-02-23")

    # a fresh case whose live projection lost the referral: the rebuild puts it right
    other = await open_case(
        desk, source="school", school={"name": "Ysgol Enghraifft", "ref": SCHOOL}
    )
    lost = journey_events(other)
    async with session_scope(desk.rt.engine) as session:
        await projection.apply(session, *lost[0])
    assert (await listed(desk, other))["deciding_body"] == "school"
    for _ in range(2):  # the same however often it runs
        async with session_scope(desk.rt.engine) as session:
            applied, cases = await projection.rebuild(session, [*events, *lost])
        assert (applied, cases) == (8, 2)
    for case in (case_id, other):
        item = await listed(desk, case)
        assert (item["deciding_body"], item["next_rule"], item["next_due"]) == (
            "local-authority",
            "la-decision",
            "2027-02-23",
        )
        r = await desk.http.get(f"/api/v1/cases/{case}", headers=desk.officer())
        kinds = [t["kind"] for t in r.json()["timeline"]]
        assert kinds.count("ReferredToLa") == 1 and kinds.count("ClockStarted") == 2


async def test_the_list_sorts_on_the_next_duty_never_on_the_familys_appeal_window(
    desk: Desk,
) -> None:
    # docs/rules.md#windows: the appeal window is the family's, shown among the case's clocks;
    # once it has passed it is closed, so a case must not sort first on it for ever after
    case_id = await open_case(desk)
    appeal = ClockStarted(case_id=case_id, rule="tribunal-appeal", start=date(2026, 9, 1),
                          due=date(2026, 10, 27))  # fmt: skip
    review = ClockStarted(case_id=case_id, rule="idp-review", start=date(2026, 9, 1),
                          due=date(2027, 8, 31))  # fmt: skip
    async with session_scope(desk.rt.engine) as session:
        for i, event in enumerate((appeal, review)):
            envelope = wrap(event, event_id=f"{case_id}-w{i}", source="/llwybr/worker",
                            subject=case_id)  # fmt: skip
            await projection.apply(session, envelope, event)
    item = await listed(desk, case_id)
    assert (item["next_rule"], item["next_due"]) == ("idp-review", "2027-08-31")
    assert not item["overdue"]
    # ... and it says so itself, for a partner system reading the list: closed, not running
    statuses = {c["rule"]: c["status"] for c in item["open_clocks"]}
    assert statuses == {"tribunal-appeal": "closed", "idp-review": "running"}
