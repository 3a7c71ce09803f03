"""Issue 15 on the real stack (PostgreSQL, Tansu, Temporal, every service its own process): a
student at a further education institution is routed to the FEI (`deciding_body: "fei"`, its
UKPRN) on its own `fei-decision` clock, shown as assumed, which its ALNCo sees and acts on; a
detained learner's release starts the home authority's `detention-release` clock
(docs/rules.md s.1 `fei-decision`, `detention-release`; s.4)."""

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from llwybr.stack import Stack
from tests.system.test_referral import CARDIFF, clock_cli, get, learner, post, referral

pytestmark = pytest.mark.system

UKPRN = "10099011"  # Cardiff and Vale College in the shipped (illustrative) register


async def _clock(running: Stack, case_id: str, rule: str, headers: dict[str, str]) -> Any:
    """The case's clock of `rule` as the journey reports it (it starts once calendars load)."""
    for _ in range(120):
        r = await get(running, f"/api/v1/cases/{case_id}", headers)
        assert r.status_code == 200, r.text
        found = [c for c in r.json()["clocks"] if c["rule"] == rule]
        if found and r.json()["clocks_source"] == "journey":
            return r.json(), found[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"no {rule} clock on case {case_id}")


async def test_a_student_at_an_fei_is_routed_to_the_fei_on_its_assumed_clock(
    running: Stack, token: Callable[..., str]
) -> None:
    alnco = {"Authorization": f"Bearer {token('fei-alnco', 'fei:' + UKPRN)}"}
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    student = referral(
        learner=learner("2009-03-02", consent={"status": "given", "date": "2026-11-20"}),
        school=None,
        institution={"name": "Cardiff and Vale College", "ukprn": UKPRN},
        source="young-person",
    )
    r = await post(running, "/api/v1/referrals", student, alnco)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["deciding_body"], out["deciding_institution"], out["deciding_authority"]) == (
        "fei",
        UKPRN,
        None,
    )
    assert out["routing_reason"] == "fei-student"
    # 35 term-time days on the calendar the journey loaded: the CLI's answer, marked assumed
    expected = clock_cli(running, "fei-decision", "2026-11-20", CARDIFF, None)
    assert (expected["basis"], expected["assumed"]) == ("assumed", True)
    assert out["clock"] == {
        "rule": "fei-decision",
        "due": expected["due"],
        "why_null": None,
        "assumed": True,
    }
    case_id = out["case_id"]
    detail, clock = await _clock(running, case_id, "fei-decision", alnco)
    assert (clock["due"], clock["assumed"]) == (expected["due"], True)
    assert detail["deciding_institution"] == UKPRN
    # the home authority reads its learner's case but the FEI decides (Act s.11)
    decision = {"outcome": "no-aln", "decided_on": "2026-11-25", "notice_given_on": "2026-11-25"}
    r = await post(running, f"/api/v1/cases/{case_id}/decision", decision, officer)
    assert (r.status_code, r.json()["decided_by"]) == (403, "fei"), r.text
    r = await post(running, f"/api/v1/cases/{case_id}/decision", decision, alnco)
    assert r.status_code == 200, r.text
    # an FEI's decision is appealable (Act s.70): the family's window opens from the notice
    _, window = await _clock(running, case_id, "tribunal-appeal", alnco)
    assert window["start"] == "2026-11-25"
    _, met = await _clock(running, case_id, "fei-decision", alnco)
    assert (met["status"], met["met_on"]) == ("met", "2026-11-25")


async def test_a_detained_learners_release_starts_detention_release(
    running: Stack, token: Callable[..., str]
) -> None:
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    body = referral(learner=learner("2012-04-09", detained=True), school=None, source="parent")
    r = await post(running, "/api/v1/referrals", body, officer)
    assert r.status_code == 201, r.text
    assert (r.json()["routing_reason"], r.json()["clock"]["rule"]) == (
        "detained-person",
        "la-decision",
    )
    case_id = r.json()["case_id"]
    await _clock(running, case_id, "la-decision", officer)
    r = await post(
        running, f"/api/v1/cases/{case_id}/release", {"released_on": "2026-11-24"}, officer
    )
    assert r.status_code == 200, r.text
    _, clock = await _clock(running, case_id, "detention-release", officer)
    # Regs reg 18: 12 weeks from the release, rolled over
    due = date(2026, 11, 24) + timedelta(days=84)
    assert (clock["start"], clock["due"]) == ("2026-11-24", due.isoformat())  # Tue 16 Feb 2027
    again = await post(
        running, f"/api/v1/cases/{case_id}/release", {"released_on": "2026-11-24"}, officer
    )
    assert (again.status_code, again.json()["code"]) == (409, "refused.not-detained")
