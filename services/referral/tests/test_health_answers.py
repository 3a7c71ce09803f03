"""Each agency sees the others' answers: the board's s.20 answer (Act s.21) reaches the LA's
case view from the `HealthInputReceived` event, without asking the health-liaison service; an
advocate's view leaves it out (the family's consent does not name health information)."""

from datetime import date

import pytest

from llwybr_common.db import session_scope
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import HealthInputReceived
from referral import projection

from .conftest import Desk
from .test_intake_and_commands import open_case

pytestmark = pytest.mark.service


async def test_the_boards_answer_shows_in_the_las_case_view(desk: Desk) -> None:
    case_id = await open_case(desk)
    before = await desk.http.get(f"/api/v1/cases/{case_id}", headers=desk.officer())
    assert before.json()["health_answers"] == []
    event = HealthInputReceived(
        case_id=case_id,
        request_id="r-1",
        outcome="service-identified",
        welsh_delivery=True,
        answered_on=date(2026, 11, 26),
    )
    envelope = wrap(event, event_id="health-r-1-received", source="health-liaison", subject=case_id)
    async with session_scope(desk.rt.engine) as session:
        await projection.apply(session, envelope, event)
    r = await desk.http.get(f"/api/v1/cases/{case_id}", headers=desk.officer())
    assert r.json()["health_answers"] == [
        {
            "request_id": "r-1",
            "service_identified": True,
            "welsh_delivery": True,
            "answered_on": "2026-11-26",
        }
    ]
    kinds = {(t["kind"], t["detail"]) for t in r.json()["timeline"]}
    assert (
        "HealthInputReceived",
        "request r-1: service-identified, Welsh yes, on 2026-11-26",
    ) in kinds
