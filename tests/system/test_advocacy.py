"""Advocacy on the real stack (real PostgreSQL, Tansu, Temporal, every service its own process):
consent recorded, a handoff to SNAP Cymru accepted, the assigned advocate reads the case from
the referral service (200, audited), consent withdrawn, the advocate's next read is 403; and a
disagreement (Act s.68) moves the journey's appeal due date to exactly the extended one
`llwybr clock tribunal-appeal --disagreement-resolution` gives, an appeal lodged meets the
window, and the Tribunal's decision with an order reaches the journey."""

import json
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from llwybr.stack import Stack
from llwybr_contracts.journey import QUERY_STATUS, JourneyStatus
from llwybr_contracts.temporal import journey_workflow_id
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF = "W06000015"
SNAP = "advocacy:snap-cymru"
NOTICE = "2026-11-23"  # the authority's no-ALN decision notice: the appeal window opens


def nhs_number() -> str:
    """A fresh valid NHS number (modulus 11), so no other test's learner is matched."""
    while True:
        digits = [random.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check % 11)


def la_referral() -> dict[str, Any]:
    """A parent's referral of a child with no school: the authority decides (appealable)."""
    return {
        "source": "parent",
        "received_on": "2026-11-20",
        "learner": {
            "given_name": "Cai",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2017-05-02",
            "preferred_language": "cy",
            "nhs_number": nhs_number(),
        },
        "authority": CARDIFF,
        "concern": "Reading well below age",
        "referrer": {"name": "A. Parent", "role": "parent"},
    }


async def no_aln_case(referral: httpx.AsyncClient, officer: dict[str, str]) -> str:
    opened = await referral.post("/api/v1/referrals", json=la_referral(), headers=officer)
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["case_id"]
    decision = {"outcome": "no-aln", "decided_on": NOTICE, "notice_given_on": NOTICE}
    # The journey may still be starting (503): bounded retries, no sleeps of our own.
    decided = await eventually(
        lambda: referral.post(f"/api/v1/cases/{case_id}/decision", json=decision, headers=officer),
        lambda r: r.status_code != 503,
        within=30,
    )
    assert decided.status_code == 200, decided.text
    return case_id


def extended_due(stack: Stack) -> str:
    args = [sys.executable, "-m", "llwybr.cli", "clock", "tribunal-appeal", "--start", NOTICE]
    args += ["--authority", CARDIFF, "--disagreement-resolution", "--json"]
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=60, env={"LLWYBR_HOME": str(stack.home)}
    )
    assert out.returncode == 0, out.stderr
    due: str = json.loads(out.stdout)["due"]
    return due


async def journey(stack: Stack, case_id: str) -> JourneyStatus:
    """The journey's own status (its timeline holds the facts it took in)."""
    client = await Client.connect(
        stack.endpoints.temporal,  # type: ignore[union-attr]
        data_converter=pydantic_data_converter,
    )
    handle = client.get_workflow_handle(journey_workflow_id(case_id))
    status: JourneyStatus = await handle.query(QUERY_STATUS, result_type=JourneyStatus)
    return status


async def referral_audit(stack: Stack, case_id: str, actor: str) -> list[tuple[str, str, str]]:
    socket_dir = stack.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    conn = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    try:
        rows = await conn.fetch(
            "SELECT action, outcome, purpose FROM referral.audit_log "
            "WHERE case_id = $1 AND actor = $2 ORDER BY at",
            case_id,
            actor,
        )
    finally:
        await conn.close()
    return [(r["action"], r["outcome"], r["purpose"]) for r in rows]


async def test_consent_handoff_accept_read_withdraw_and_the_next_read_is_403(
    running: Stack, token: Callable[..., str]
) -> None:
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    advocate_subject = f"advocate-{uuid.uuid4().hex[:6]}.snap"
    advocate = {
        "Authorization": f"Bearer {token('advocate', SNAP, subject=advocate_subject)}",
        "Accept-Language": "en",
    }
    lead = {"Authorization": f"Bearer {token('advocate', SNAP, subject='advocacy-lead.snap')}"}
    async with (
        httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as referral,
        httpx.AsyncClient(base_url=running.url_of("advocacy"), timeout=30) as advocacy,
    ):
        case_id = await no_aln_case(referral, officer)
        case_path = f"/api/v1/cases/{case_id}"
        before = await referral.get(case_path, headers=advocate)
        assert before.status_code == 404  # no consent, no handoff: nothing to see

        body = {"provider": SNAP, "reason": "considering-appeal"}
        refused = await advocacy.post(f"{case_path}/advocacy-handoffs", json=body, headers=officer)
        assert (
            refused.status_code == 409 and refused.json()["code"] == "advocacy.no-standing-consent"
        )
        assert " / " in refused.json()["title"]  # Welsh, then English

        consent = await advocacy.post(
            f"{case_path}/advocacy-consents",
            json={
                "provider": SNAP,
                "given_by": "parent",
                "shares": ["decisions-and-clocks", "decision-notices"],
                "valid_from": NOTICE,
            },
            headers=officer,
        )
        assert consent.status_code == 201, consent.text
        consent_id = consent.json()["consent_id"]
        handoff = await advocacy.post(f"{case_path}/advocacy-handoffs", json=body, headers=officer)
        assert handoff.status_code == 201, handoff.text
        handoff_id = handoff.json()["handoff_id"]

        inbox = await advocacy.get("/api/v1/advocacy-handoffs", headers=lead)
        [item] = [i for i in inbox.json()["items"] if i["handoff_id"] == handoff_id]
        assert item["status"] == "offered"
        # The case's appeal window, from the journey through the referral service.
        assert item["appeal_window"]["rule"] == "tribunal-appeal"
        assert item["appeal_window"]["days_left"] > 0

        accepted = await advocacy.post(
            f"/api/v1/advocacy-handoffs/{handoff_id}/accept",
            json={"advocate": advocate_subject},
            headers=lead,
        )
        assert accepted.status_code == 200, accepted.text

        read = await referral.get(case_path, headers=advocate)
        assert read.status_code == 200, read.text
        assert read.json()["case_id"] == case_id
        assert any(c["rule"] == "tribunal-appeal" for c in read.json()["clocks"])
        assert read.json()["learner"]["nhs_number"] is None

        withdrawn = await advocacy.post(
            f"/api/v1/advocacy-consents/{consent_id}/withdraw", json={}, headers=officer
        )
        assert withdrawn.status_code == 200, withdrawn.text

        after = await referral.get(case_path, headers=advocate)
        assert after.status_code == 403, after.text
        assert after.json()["code"] == "advocacy.consent-withdrawn"
        assert after.json()["title"] == "Access denied: consent withdrawn"

    audited = await referral_audit(running, case_id, advocate_subject)
    assert [(a, o) for a, o, _ in audited] == [
        ("denied", "not-visible"),
        ("read", "ok"),
        ("denied", "consent-withdrawn"),
    ]
    assert f"consent {consent_id}" in audited[1][2]


async def test_a_disagreement_extends_the_appeal_window_exactly_and_an_appeal_meets_it(
    running: Stack, token: Callable[..., str]
) -> None:
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with (
        httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as referral,
        httpx.AsyncClient(base_url=running.url_of("advocacy"), timeout=30) as advocacy,
    ):
        case_id = await no_aln_case(referral, officer)
        case_path = f"/api/v1/cases/{case_id}"

        async def case() -> dict[str, Any]:
            found: dict[str, Any] = (await referral.get(case_path, headers=officer)).json()
            return found

        def appeal_due(detail: dict[str, Any]) -> str | None:
            clock = next((c for c in detail["clocks"] if c["rule"] == "tribunal-appeal"), None)
            return clock["due"] if clock else None

        eight_weeks = appeal_due(await case())
        sixteen_weeks = extended_due(running)
        assert eight_weeks is not None and sixteen_weeks > eight_weeks

        raised = await advocacy.post(
            f"{case_path}/disagreements",
            json={"raised_on": "2026-11-25", "about": "decision"},
            headers=officer,
        )
        assert raised.status_code == 201, raised.text
        moved = await eventually(case, lambda d: appeal_due(d) == sixteen_weeks, within=60)
        assert appeal_due(moved) == sixteen_weeks  # exactly the clock's extended date

        lodged = await advocacy.post(
            f"{case_path}/appeals", json={"lodged_on": "2026-11-26"}, headers=officer
        )
        assert lodged.status_code == 201, lodged.text
        assert (lodged.json()["window_due"], lodged.json()["in_time"]) == (sixteen_weeks, True)

        def met(d: dict[str, Any]) -> bool:
            return any(c["rule"] == "tribunal-appeal" and c["status"] == "met" for c in d["clocks"])

        assert met(await eventually(case, met, within=60))

        decided = await advocacy.post(
            f"/api/v1/appeals/{lodged.json()['appeal_id']}/decision",
            json={
                "decided_on": "2026-11-27",
                "outcome": "allowed",
                "order": {"kind": "prepare-idp", "due": "2027-01-08"},
            },
            headers=officer,
        )
        assert decided.status_code == 200, decided.text

    def decided_fact(status: JourneyStatus) -> bool:
        return any(e.kind == "AppealDecided" for e in status.timeline)

    status = await eventually(lambda: journey(running, case_id), decided_fact, within=60)
    assert [e.detail for e in status.timeline if e.kind == "AppealDecided"] == ["aln"]
    # An order to prepare an IDP re-opens the IDP work: the LA now prepares the plan.
    assert status.state == "idp-in-preparation"
