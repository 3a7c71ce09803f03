"""`llwybr demo` on the real stack: it loads its spread through the services' APIs and a second
run adds nothing and says so. The spread is there to look at: cases in every state of the
journey, overdue ones breached, every health board with a request open, one answered and one
overdue, plans issued and one due for review, and a case handed to advocacy."""

import argparse
import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from llwybr import demo_cli, projection_cli
from llwybr.stack import Stack
from llwybr_clock.shipped import health_boards
from llwybr_clock.wales import today_in_wales
from llwybr_contracts.journey import QUERY_STATUS, JourneyStatus
from llwybr_contracts.states import CaseState
from llwybr_contracts.temporal import journey_workflow_id
from tests.integration.helpers import eventually
from tests.system.test_console import accessible, browser_page, record_no_aln_today

pytestmark = pytest.mark.system

CARDIFF = "W06000015"
SCHOOL = "6812345"
BREACHES = {"DeadlineBreached", "DeadlineEscalated"}


def demo(running: Stack) -> int:
    args = argparse.Namespace(home=running.home, seed=2026, extra=0, lang="en")
    return demo_cli.run(args)


async def all_cases(referral: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    cursor = None
    while True:
        r = await referral.get(
            "/api/v1/cases", params={"limit": 500, "cursor": cursor}, headers=admin
        )
        assert r.status_code == 200, r.text
        found |= {c["case_id"]: c for c in r.json()["items"]}
        cursor = r.json()["next"]
        if not cursor:
            return found


async def referred_to_la(referral: httpx.AsyncClient, token: Callable[..., str]) -> str:
    """A school's case referred to the LA (Act s.12(2)) today; its case id."""
    alnco = {"Authorization": f"Bearer {token('school-alnco', 'school:' + SCHOOL)}"}
    today = today_in_wales().isoformat()
    body = {
        "source": "school",
        "received_on": today,
        "learner": {"given_name": "Cai", "family_name": "Demo-Referred",
                    "date_of_birth": "2017-05-02"},
        "authority": CARDIFF,
        "school": {"name": "Ysgol Enghraifft", "ref": SCHOOL},
        "concern": "Reading well below age",
    }  # fmt: skip
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    r = await referral.post("/api/v1/referrals", json=body, headers=officer)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    assert r.json()["deciding_body"] == "school"

    async def refer() -> int:
        r = await referral.post(
            f"/api/v1/cases/{case_id}/referral-to-la", json={"referred_on": today}, headers=alnco
        )
        return r.status_code

    # the journey is still starting for a moment after intake
    assert await eventually(refer, lambda code: code in (200, 202), within=60, every=1) in (
        200,
        202,
    )
    return case_id


@pytest.mark.timeout(1200)  # the session's stack may start inside this test (slow when shared)
async def test_the_demo_loads_a_spread_worth_looking_at_and_a_second_run_adds_nothing(
    running: Stack, token: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(demo, running) == 0
    first = capsys.readouterr().out
    assert "Loaded 59 demo cases across 22 authorities" in first
    assert running.url_of("console") in first and "la-officer.cardiff" in first

    admin = {"Authorization": f"Bearer {token('admin')}"}
    ledger = json.loads((running.home / "demo-2026.json").read_text())["cases"]
    ours = {entry["case_id"]: entry["kind"] for entry in ledger.values()}
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as referral:
        before = await all_cases(referral, admin)

        assert await asyncio.to_thread(demo, running) == 0
        second = capsys.readouterr().out
        assert "Nothing new: all 59 demo cases were already loaded" in second
        assert "Loaded" not in second
        assert set(await all_cases(referral, admin)) == set(before), "no case added"

        # Every state of the journey (the projection follows the journey's events).
        async def states() -> set[str]:
            cases = await all_cases(referral, admin)
            return {cases[c]["state"] for c in ours if c in cases}

        every = {s.value for s in CaseState}
        assert await eventually(states, lambda s: s >= every, within=90) >= every
        overdue = [c for c, kind in ours.items() if kind == "overdue"]
        assert overdue and all(before[c]["overdue"] for c in overdue)

        async def breached() -> set[str]:
            r = await referral.get(f"/api/v1/cases/{overdue[0]}", headers=admin)
            return {e["kind"] for e in r.json()["timeline"]} & BREACHES

        assert await eventually(breached, bool, within=90), "an overdue case is a breach"

        # The case list stays true: a school's referral to the LA changes its deciding body,
        # and the list rebuilt from the journey's events matches every journey's own status.
        referred = await referred_to_la(referral, token)
        ours[referred] = "referred-to-la"
        temporal = await Client.connect(
            running.endpoints.temporal,  # type: ignore[union-attr]
            data_converter=pydantic_data_converter,
        )

        async def mismatches() -> dict[str, Any]:
            rebuilt = await asyncio.to_thread(
                projection_cli.run_rebuild,
                argparse.Namespace(projection="referral", home=running.home),
            )
            assert rebuilt == 0
            listed = await all_cases(referral, admin)
            wrong: dict[str, Any] = {}
            for case_id in ours:
                item = listed[case_id]
                mine = (item["state"], item["deciding_body"], item["deciding_authority"])
                handle = temporal.get_workflow_handle(journey_workflow_id(case_id))
                try:
                    status = await handle.query(QUERY_STATUS, result_type=JourneyStatus)
                except RPCError as exc:
                    if exc.status == RPCStatusCode.NOT_FOUND and item["state"] == "closed":
                        continue  # closed at intake (consent refused): no journey ever ran
                    raise
                body = status.deciding_body.value if status.deciding_body else None
                theirs = (status.state.value, body, status.deciding_authority)
                if mine != theirs:
                    wrong[case_id] = (mine, theirs)
            return wrong

        assert await eventually(mismatches, lambda w: not w, within=120, every=5) == {}
        assert "rebuilt the referral case list from" in capsys.readouterr().out
        assert (await all_cases(referral, admin))[referred]["deciding_body"] == "local-authority"

    today = today_in_wales()
    async with httpx.AsyncClient(base_url=running.url_of("health-liaison"), timeout=30) as hl:
        for board in health_boards():
            declo = {"Authorization": f"Bearer {token('declo', 'board:' + board.ons_code)}"}
            r = await hl.get("/api/v1/health-requests", params={"limit": 200}, headers=declo)
            assert r.status_code == 200, r.text
            mine = [i for i in r.json()["items"] if i["case_id"] in ours]
            waiting = [i for i in mine if i["status"] in ("open", "assigned")]
            assert any(not i["overdue"] for i in waiting), f"{board.name_en}: none open"
            assert any(i["overdue"] for i in waiting), f"{board.name_en}: none overdue"
            assert any(i["status"] == "responded" for i in mine), f"{board.name_en}: none answered"

    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with httpx.AsyncClient(base_url=running.url_of("idp"), timeout=30) as idp:
        soon = (today + timedelta(days=31)).isoformat()
        r = await idp.get("/api/v1/idps", params={"review_due_before": soon}, headers=officer)
        assert r.status_code == 200, r.text
        due = [p for p in r.json()["items"] if ours.get(p["case_id"]) == "review-due"]
        assert due and due[0]["state"] == "active" and due[0]["review_at_risk"], r.json()

    lead = {
        "Authorization": f"Bearer {token('advocate', 'advocacy:snap-cymru', subject='advocacy-lead.snap')}"
    }
    async with httpx.AsyncClient(base_url=running.url_of("advocacy"), timeout=30) as advocacy:
        r = await advocacy.get("/api/v1/advocacy-handoffs", headers=lead)
        assert r.status_code == 200, r.text
        assert [i for i in r.json()["items"] if ours.get(i["case_id"]) == "advocacy"]


@pytest.mark.timeout(1200)
async def test_a_newcomer_signs_in_and_decides_a_demo_case_in_the_browser(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    """The README's first steps on the demo data, without the API: an LA officer (Mark Jones,
    Cardiff) sees the demo's cases nearest due first, opens Cardiff's demo case awaiting a
    decision, records no ALN with its notice date, and sees the LA's clock met and the family's
    appeal window open."""
    assert await asyncio.to_thread(demo, running) == 0  # idempotent: loads, or finds it loaded
    ledger = json.loads((running.home / "demo-2026.json").read_text())["cases"]
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as referral:
        pending = [e["case_id"] for e in ledger.values() if e["kind"] == "decision-pending"]
        seen = [(c, await referral.get(f"/api/v1/cases/{c}", headers=officer)) for c in pending]
    [case_id] = [c for c, r in seen if r.status_code == 200]  # Cardiff's; others are 404
    demo_cases = {e["case_id"] for e in ledger.values()}

    console = running.url_of("console")
    async with browser_page(browser, artefacts / "console-demo-failed.png", locale="en-GB") as page:
        await page.goto(console)
        await page.get_by_role("button", name="Sign in as Mark Jones").click()
        await page.wait_for_url(f"{console}/cases")
        rows = await page.locator("#worktray tbody tr").all()
        listed = [
            (await r.get_attribute("data-case-id"), await r.get_attribute("data-next-due"))
            for r in rows
        ]
        shown = [due or "9999" for c, due in listed if c in demo_cases]
        assert len(shown) >= 5 and shown == sorted(shown), listed  # nearest due first
        await accessible(page, "demo-worktray-en", artefacts)

        await page.locator("#reference").fill(case_id)  # the worktray's search
        await page.get_by_role("button", name="Filter").click()
        await page.locator(f'#worktray tr[data-case-id="{case_id}"] a').click()
        await page.wait_for_url(f"{console}/cases/{case_id}")
        clock = page.locator('#clock-table tr[data-rule="la-decision"]')
        assert await clock.get_attribute("data-tag") in ("running", "at-risk")

        await record_no_aln_today(page)
        await accessible(page, "demo-case-decided-en", artefacts)
