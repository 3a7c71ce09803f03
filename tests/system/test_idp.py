"""idp on the real stack (real PostgreSQL, Tansu, Temporal, every service its own process): an
authority's case with an ALN decision gets a draft plan; a board's s.20 answer is written in
as provision the NHS body secures, in Welsh; issued with two items, the journey meets its
decision clock on the issue date and runs `idp-review` to the day before the anniversary; a
review held publishes `IdpReviewed`, which meets that clock and starts the next; a transfer
moves the maintaining body and the new one ceases the plan, which the journey follows."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from idp.rules import review_due
from llwybr.stack import Stack
from llwybr_clock.wales import today_in_wales
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF, CARDIFF_AND_VALE, SWANSEA = "W06000015", "W11000029", "W06000011"


async def test_an_authoritys_plan_is_drafted_issued_and_reviewed_through_the_journey(
    running: Stack, token: Callable[..., str]
) -> None:
    today = today_in_wales()
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    declo = {"Authorization": f"Bearer {token('declo', 'board:' + CARDIFF_AND_VALE)}"}
    referral = httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30)
    liaison = httpx.AsyncClient(base_url=running.url_of("health-liaison"), timeout=30)
    idp = httpx.AsyncClient(base_url=running.url_of("idp"), timeout=30)
    async with referral, liaison, idp:
        # Not at school: the authority decides (Act s.13) on its 12-week clock.
        opened = await referral.post(
            "/api/v1/referrals",
            json={
                "source": "parent",
                "received_on": (today - timedelta(days=7)).isoformat(),
                "learner": {
                    "given_name": "Elin",
                    "family_name": f"Hughes-{uuid.uuid4().hex[:8]}",
                    "date_of_birth": "2017-05-02",
                    "preferred_language": "cy",
                },
                "authority": CARDIFF,
                "school": None,
                "concern": "Speech unclear",
            },
            headers=officer,
        )
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        case_url = f"/api/v1/cases/{case_id}"
        asked = await referral.post(
            f"{case_url}/health-requests", json={"reason": "Speech"}, headers=officer
        )
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request_id"]

        async def board_has_it() -> int:
            r = await liaison.get(f"/api/v1/health-requests/{request_id}", headers=declo)
            return r.status_code

        assert await eventually(board_has_it, lambda s: s == 200, within=60) == 200
        answered = await liaison.post(
            f"/api/v1/health-requests/{request_id}/response",
            json={"outcome": "service-identified", "service": "SLT", "welsh_delivery": True},
            headers=declo,
        )
        assert answered.status_code == 200, answered.text
        decided = await referral.post(
            f"{case_url}/decision",
            json={"outcome": "aln", "decided_on": today.isoformat()},
            headers=officer,
        )
        assert decided.status_code == 200, decided.text

        # The draft opens once the journey's AlnDecided reaches this service.
        async def open_draft() -> httpx.Response:
            return await idp.post(
                f"{case_url}/idp", json={"content_language": "cy"}, headers=officer
            )

        draft = await eventually(open_draft, lambda r: r.status_code == 201, within=60)
        assert draft.status_code == 201, draft.text
        assert draft.json()["version"] == 0 and draft.json()["state"] == "draft"
        idp_id = draft.json()["idp_id"]
        plan_url = f"/api/v1/idps/{idp_id}"

        # The board's answer, written in for the author to complete (Act s.21(3)-(4)).
        async def plan() -> dict[str, Any]:
            body: dict[str, Any] = (await idp.get(plan_url, headers=officer)).json()
            return body

        written_in = await eventually(plan, lambda p: bool(p.get("provision")), within=60)
        [nhs] = written_in["provision"]
        assert nhs["deliverer"] == f"nhs:{CARDIFF_AND_VALE}" and nhs["needs_completion"]
        assert nhs["welsh_delivery_advice"] is True

        outcome = {
            "measure": "Seiniau cywir mewn sampl 50 gair",
            "baseline": "60%",
            "target": "85%",
            "outcome_date": (today + timedelta(days=200)).isoformat(),
            "start_date": today.isoformat(),
            "review_date": (today + timedelta(days=200)).isoformat(),
            "welsh_delivery": True,
        }
        r = await idp.put(
            f"{plan_url}/sections/aln-description",
            json={"content": {"description": "Anhawster lleferydd ac iaith"}},
            headers=officer,
        )
        assert r.status_code == 200, r.text
        r = await idp.put(
            f"{plan_url}/provision/{nhs['item_id']}",
            json={
                **outcome,
                "outcome": "Ynganu seiniau yn glir",
                "provision": "Therapi iaith a lleferydd",
                "frequency": "Wythnosol",
                "deliverer": f"nhs:{CARDIFF_AND_VALE}",
                "reason": "cwblhau ateb y bwrdd",
            },
            headers=officer,
        )
        assert r.status_code == 200, r.text
        r = await idp.post(
            f"{plan_url}/provision",
            json={
                **outcome,
                "outcome": "Defnyddio 10 gair newydd",
                "provision": "Grŵp geirfa",
                "deliverer": "la",
            },
            headers=officer,
        )
        assert r.status_code == 201, r.text
        issued = await idp.post(f"{plan_url}/issue", json={}, headers=officer)
        assert issued.status_code == 200, issued.text
        assert issued.json() == {"idp_id": idp_id, "version": 1, "issued_on": today.isoformat()}

        # The journey: decision clock met on the issue date; idp-review running to the day
        # before the anniversary (Act ss.23-24).
        async def clocks() -> dict[str, dict[str, Any]]:
            detail = (await referral.get(case_url, headers=officer)).json()
            return {c["rule"]: c for c in detail.get("clocks", [])}

        def issued_in_journey(c: dict[str, dict[str, Any]]) -> bool:
            return c.get("la-decision", {}).get("status") == "met" and "idp-review" in c

        found = await eventually(clocks, issued_in_journey, within=60)
        assert found["la-decision"]["met_on"] == today.isoformat()
        assert found["idp-review"]["status"] == "running"
        assert found["idp-review"]["due"] == review_due(today).isoformat()

        reviewed = await idp.post(
            f"{plan_url}/reviews",
            json={"held_on": today.isoformat(), "revised": False},
            headers=officer,
        )
        assert reviewed.status_code == 201, reviewed.text

        # IdpReviewed meets the review clock and starts the next one.
        async def timeline() -> list[str]:
            detail = (await referral.get(case_url, headers=officer)).json()
            return [f"{e['kind']} {e['detail']}" for e in detail.get("timeline", [])]

        def review_met(entries: list[str]) -> bool:
            started = [e for e in entries if e.startswith("ClockStarted idp-review")]
            met = any(e.startswith("ClockMet idp-review") for e in entries)
            return met and len(started) >= 2  # the first period's clock, then the next one's

        entries = await eventually(timeline, review_met, within=60)
        assert review_met(entries), entries

        # Moved to Swansea (Act s.35): Swansea maintains the plan now, and ceases it (s.31).
        moved = await idp.post(
            f"{plan_url}/transfers",
            json={"to_body": f"la:{SWANSEA}", "on": today.isoformat()},
            headers=officer,
        )
        assert moved.status_code == 201 and moved.json()["maintainer"] == f"la:{SWANSEA}"
        swansea = {"Authorization": f"Bearer {token('la-officer', 'la:' + SWANSEA)}"}
        for step, body in (
            (
                "cease-proposals",
                {"reason": "left", "detail": "Moved away", "proposed_on": today.isoformat()},
            ),
            (
                "cease-decisions",
                {"decision": "cease", "decided_on": today.isoformat(), "reasons": "Left"},
            ),
        ):
            r = await idp.post(f"{plan_url}/{step}", json=body, headers=swansea)
            assert r.status_code == 201, r.text

        # IdpCeased: the journey moves to ceasing and runs the appeal window (Act s.70).
        def ceasing(entries: list[str]) -> bool:
            return any(e.startswith("StateChanged idp-active -> ceasing") for e in entries)

        assert ceasing(await eventually(timeline, ceasing, within=60))
