"""Referral intake, routing and the case API on the whole stack."""

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from llwybr.stack import Stack
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF, SWANSEA = "W06000015", "W06000011"


def learner(born: str = "2017-05-02", **extra: Any) -> dict[str, Any]:
    return {
        "given_name": "Cai",
        "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
        "date_of_birth": born,
        "preferred_language": "cy",
        **extra,
    }


def referral(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "school",
        "received_on": "2026-11-20",
        "learner": learner(),
        "authority": CARDIFF,
        "school": {"name": "Ysgol Enghraifft", "ref": "6812345"},
        "concern": "Reading well below age; speech unclear",
        "referrer": {"name": "A. ALNCo", "role": "ALNCo"},
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}


@pytest.fixture(scope="module")
def swansea_officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:' + SWANSEA)}"}


async def post(stack: Stack, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        return await http.post(path, json=body, headers=headers)


async def get(stack: Stack, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        return await http.get(path, headers=headers, params=params)


def clock_cli(stack: Stack, rule: str, start: str, authority: str, school: str | None) -> Any:
    args = [sys.executable, "-m", "llwybr.cli", "clock", rule, "--start", start, "--json"]
    args += ["--authority", authority] + (["--school", school] if school else [])
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=60, env={"LLWYBR_HOME": str(stack.home)}
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


async def workflow_status(stack: Stack, case_id: str) -> WorkflowExecutionStatus | None:
    client = await Client.connect(stack.endpoints.temporal)  # type: ignore[union-attr]
    return (await client.get_workflow_handle(f"case-{case_id}").describe()).status


BRANCHES = [
    # (what, overrides, deciding body, deciding authority, rule, routing reason)
    ("registered pupil", {}, "school", CARDIFF, "school-decision", "registered-pupil"),
    ("under school age", {"learner": learner("2023-03-01"), "school": None, "source": "health-body", "referral_type": "health-notice-s64"}, "local-authority", CARDIFF, "la-decision", "under-compulsory-school-age"),
    ("looked after", {"learner": learner(looked_after=True, looking_after_authority="Abertawe")}, "local-authority", SWANSEA, "la-decision", "looked-after"),
    ("dual registered", {"learner": learner(dual_registered=True)}, "local-authority", CARDIFF, "la-decision", "dual-registered"),
    ("school s.12(2)", {"referral_type": "school-referral-to-la"}, "local-authority", CARDIFF, "la-decision", "school-referral-to-la"),
    ("not at school", {"school": None, "source": "parent"}, "local-authority", CARDIFF, "la-decision", "not-at-school"),
    ("young person, consent given", {"learner": learner("2008-01-10", consent={"status": "given", "date": "2026-11-18"}), "school": None, "source": "young-person"}, "local-authority", CARDIFF, "la-not-necessary", "not-at-school"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "overrides", "body", "authority", "rule", "reason"), BRANCHES)
async def test_each_routing_branch_runs_its_journey_with_the_cli_clock(
    running: Stack,
    officer: dict[str, str],
    token: Callable[..., str],
    what: str,
    overrides: dict[str, Any],
    body: str,
    authority: str,
    rule: str,
    reason: str,
) -> None:
    headers = officer
    if authority == SWANSEA:  # the looking-after authority refers and owns the case
        headers = {"Authorization": f"Bearer {token('la-officer', 'la:' + SWANSEA)}"}
    r = await post(running, "/api/v1/referrals", referral(**overrides), headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["deciding_body"], out["deciding_authority"], out["routing_reason"]) == (
        body,
        authority,
        reason,
    ), what
    assert out["state"] == "decision-pending"
    status = await eventually(
        lambda: workflow_status(running, out["case_id"]), lambda s: s is not None, within=30
    )
    assert status == WorkflowExecutionStatus.RUNNING
    start = "2026-11-18" if "consent" in what else "2026-11-20"
    school = "6812345" if rule == "school-decision" else None
    expected = clock_cli(running, rule, start, CARDIFF, school)
    assert out["clock"]["rule"] == rule
    assert out["clock"]["due"] == expected["due"], what
    # intake counted that date itself; the case list follows the journey's own ClockStarted,
    # which names the same date (docs/rules.md, "The first clock at intake")
    case_id = out["case_id"]

    async def indexed() -> dict[str, Any] | None:
        page = (await get(running, "/api/v1/cases", headers, reference=case_id)).json()
        return next(iter(page["items"]), None)

    item = await eventually(indexed, lambda i: bool(i and i["next_due"]), within=30)
    assert item is not None and (item["next_rule"], item["next_due"]) == (rule, expected["due"])


async def test_young_person_waits_for_consent_with_no_clock(
    running: Stack, officer: dict[str, str]
) -> None:
    yp = learner("2008-01-10", consent={"status": "pending"})
    r = await post(running, "/api/v1/referrals", referral(learner=yp, school=None), officer)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "consent-pending"
    assert r.json()["clock"]["due"] is None
    assert "consent" in r.json()["clock"]["why_null"]


async def test_second_referral_for_an_open_case_is_409_unless_attached(
    running: Stack, officer: dict[str, str]
) -> None:
    body = referral()
    first = await post(running, "/api/v1/referrals", body, officer)
    assert first.status_code == 201
    case_id = first.json()["case_id"]
    again = await post(running, "/api/v1/referrals", body, officer)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["open_case"] == {"case_id": case_id, "href": f"/api/v1/cases/{case_id}"}
    attached = await post(
        running, "/api/v1/referrals", {**body, "attach_to_open_case": True}, officer
    )
    assert attached.status_code == 200
    assert attached.json()["case_id"] == case_id and attached.json()["attached"] is True


async def test_other_authority_gets_not_found_and_the_refusal_is_audited(
    running: Stack, officer: dict[str, str], swansea_officer: dict[str, str]
) -> None:
    case_id = (await post(running, "/api/v1/referrals", referral(), officer)).json()["case_id"]
    assert (await get(running, f"/api/v1/cases/{case_id}", officer)).status_code == 200
    cy = await get(
        running, f"/api/v1/cases/{case_id}", {**swansea_officer, "Accept-Language": "cy"}
    )
    en = await get(
        running, f"/api/v1/cases/{case_id}", {**swansea_officer, "Accept-Language": "en"}
    )
    assert cy.status_code == en.status_code == 404, "the same answer as for no such case"
    assert cy.json()["code"] == en.json()["code"] == "not-found.case"
    assert (cy.json()["title"], en.json()["title"]) == ("Heb ei ganfod", "Not found")
    # A 403, in both languages with one code: referring in another authority.
    cy = await post(
        running, "/api/v1/referrals", referral(), {**swansea_officer, "Accept-Language": "cy"}
    )
    en = await post(
        running, "/api/v1/referrals", referral(), {**swansea_officer, "Accept-Language": "en"}
    )
    assert cy.status_code == en.status_code == 403
    assert cy.json()["code"] == en.json()["code"] == "access.referral-scope"
    assert (cy.json()["title"], en.json()["title"]) == ("Dim mynediad", "Access denied")
    assert cy.json()["detail"].startswith("Nid oes gennych ganiatâd i wneud hyn")
    listed = await get(running, "/api/v1/cases", swansea_officer, limit=500)
    assert case_id not in {c["case_id"] for c in listed.json()["items"]}
    socket_dir = running.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    conn = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    try:
        rows = await conn.fetch(
            "SELECT actor, action, outcome FROM referral.audit_log WHERE case_id = $1 ORDER BY at",
            case_id,
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM referral.audit_log WHERE case_id = $1", case_id)
    finally:
        await conn.close()
    actions = [(r["action"], r["outcome"]) for r in rows]
    assert ("read", "ok") in actions and ("denied", "not-visible") in actions


async def test_bad_referral_names_every_field_and_writes_nothing(
    running: Stack, officer: dict[str, str]
) -> None:
    before = (await get(running, "/api/v1/cases", officer, limit=500)).json()["items"]
    bad = referral(
        authority="Atlantis",
        received_on="2099-01-01",
        learner=learner("2099-01-01", upn="A12", nhs_number="9434765918"),
    )
    r = await post(running, "/api/v1/referrals", bad, officer)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {
        "authority",
        "received_on",
        "learner.date_of_birth",
        "learner.upn",
        "learner.nhs_number",
    } <= fields
    yp = await post(running, "/api/v1/referrals", referral(learner=learner("2008-01-10")), officer)
    assert yp.status_code == 422 and yp.json()["errors"][0]["field"] == "learner.consent"
    unknown = await post(running, "/api/v1/referrals", referral(source="pigeon"), officer)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "source"
    welsh = await post(running, "/api/v1/referrals", bad, {**officer, "Accept-Language": "cy"})
    english = await post(running, "/api/v1/referrals", bad, {**officer, "Accept-Language": "en"})
    assert welsh.json()["code"] == english.json()["code"] == "validation"
    assert welsh.json()["title"] == "Nid yw'r cais yn ddilys"
    assert english.json()["title"] == "The request is not valid"
    born = {e["field"]: e["reason"] for e in welsh.json()["errors"]}["learner.date_of_birth"]
    assert born == "mae'r dyddiad geni yn y dyfodol"
    after = (await get(running, "/api/v1/cases", officer, limit=500)).json()["items"]
    assert len(after) == len(before)


async def test_case_list_pages_by_due_date_and_the_detail_shows_the_journey(
    running: Stack, officer: dict[str, str]
) -> None:
    ids = set()
    for _ in range(3):
        r = await post(
            running, "/api/v1/referrals", referral(school=None, source="parent"), officer
        )
        ids.add(r.json()["case_id"])

    async def listed() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "deciding_body": "local-authority"}
            if cursor:
                params["cursor"] = cursor
            page = (await get(running, "/api/v1/cases", officer, **params)).json()
            items += page["items"]
            cursor = page["next"]
            if not cursor:
                return items

    items = await eventually(
        listed, lambda its: ids <= {i["case_id"] for i in its if i["next_due"]}, within=30
    )
    dues = [i["next_due"] for i in items if i["next_due"]]
    assert dues == sorted(dues)
    assert len({i["case_id"] for i in items}) == len(items), "pages do not overlap"
    case_id = next(iter(ids))
    detail = (await get(running, f"/api/v1/cases/{case_id}", officer)).json()
    assert detail["learner"]["family_name"].startswith("Jones-")
    assert detail["clocks_source"] == "journey"
    assert [c["rule"] for c in detail["clocks"]] == ["la-decision"]


async def test_commands_reach_the_journey_and_unknown_journeys_get_503(
    running: Stack, officer: dict[str, str]
) -> None:
    case_id = (await post(running, "/api/v1/referrals", referral(), officer)).json()["case_id"]
    r = await post(
        running, f"/api/v1/cases/{case_id}/health-requests", {"reason": "speech"}, officer
    )
    assert r.status_code == 202, r.text
    assert uuid.UUID(r.json()["request_id"])
    no_such = await post(running, "/api/v1/cases/nope/health-requests", {"reason": "x"}, officer)
    assert no_such.status_code == 404
    await asyncio.sleep(0)


async def test_commands_change_the_journey_and_refusals_are_409(
    running: Stack, officer: dict[str, str]
) -> None:
    la_case = referral(school=None, source="parent")
    case_id = (await post(running, "/api/v1/referrals", la_case, officer)).json()["case_id"]
    pause = {
        "action": "pause",
        "rule": "la-decision",
        "reason": "learner-absent",
        "from": "2026-11-23",
    }
    paused = await post(running, f"/api/v1/cases/{case_id}/exceptions", pause, officer)
    assert paused.status_code == 200, paused.text
    detail = (await get(running, f"/api/v1/cases/{case_id}", officer)).json()
    la_clock = next(c for c in detail["clocks"] if c["rule"] == "la-decision")
    assert (la_clock["status"], la_clock["due"]) == ("paused", None)
    other = {**pause, "reason": "other"}
    no_note = await post(running, f"/api/v1/cases/{case_id}/exceptions", other, officer)
    assert no_note.status_code == 422 and no_note.json()["errors"][0]["field"] == "note"

    decision = {"outcome": "no-aln", "decided_on": "2026-11-23", "notice_given_on": "2026-11-23"}
    decided = await post(running, f"/api/v1/cases/{case_id}/decision", decision, officer)
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "no-aln"
    again = await post(running, f"/api/v1/cases/{case_id}/decision", decision, officer)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"]
    path = f"/api/v1/cases/{case_id}/decision"
    cy = await post(running, path, decision, {**officer, "Accept-Language": "cy"})
    en = await post(running, path, decision, {**officer, "Accept-Language": "en"})
    assert cy.status_code == en.status_code == 409
    # A refusal with a code (`refused.<code>`) or, from a journey that gives only a message,
    # `command-refused`: the same code in both languages either way.
    assert cy.json()["code"] == en.json()["code"]
    assert cy.json()["code"] == "command-refused" or cy.json()["code"].startswith("refused.")
    assert cy.json()["title"] == "Ni chaniateir hyn yng nghyflwr presennol yr achos"
    assert en.json()["title"] == "Not allowed in the case's current state"
    assert cy.headers["content-language"] == "cy" and cy.json()["detail"] != en.json()["detail"]


async def test_consent_given_starts_the_young_persons_clock(
    running: Stack, officer: dict[str, str]
) -> None:
    yp = learner("2008-01-10", consent={"status": "pending"})
    created = await post(running, "/api/v1/referrals", referral(learner=yp, school=None), officer)
    case_id = created.json()["case_id"]
    body = {"status": "given", "date": "2026-11-21"}
    r = await eventually(
        lambda: post(running, f"/api/v1/cases/{case_id}/consent", body, officer),
        lambda resp: resp.status_code != 503,
        within=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "decision-pending"
    detail = (await get(running, f"/api/v1/cases/{case_id}", officer)).json()
    # A young person at no school: the LA decides under the "necessary" test (Regs regs 6-10).
    expected = clock_cli(running, "la-not-necessary", "2026-11-21", CARDIFF, None)
    assert [(c["rule"], c["due"]) for c in detail["clocks"]] == [
        ("la-not-necessary", expected["due"])
    ]


async def test_refused_consent_closes_the_case_and_commands_get_409(
    running: Stack, officer: dict[str, str]
) -> None:
    yp = learner("2008-01-10", consent={"status": "refused"})
    r = await post(running, "/api/v1/referrals", referral(learner=yp, school=None), officer)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "closed" and r.json()["clock"]["due"] is None
    case_id = r.json()["case_id"]
    command = await post(
        running, f"/api/v1/cases/{case_id}/health-requests", {"reason": "x"}, officer
    )
    assert command.status_code == 409
    assert command.json()["code"] == "case-closed"
    assert command.json()["title"] == "Mae'r achos ar gau / The case is closed"


async def test_a_clock_the_calendar_cannot_cover_is_null_flagged_and_explained(
    running: Stack, officer: dict[str, str]
) -> None:
    # The shipped calendars start in September 2025: a school-day clock from June 2025 cannot
    # be counted, and is never counted on weekdays instead (docs/rules.md, section 1, Coverage).
    r = await post(running, "/api/v1/referrals", referral(received_on="2025-06-02"), officer)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["deciding_body"] == "school" and out["clock"]["rule"] == "school-decision"
    assert out["clock"]["due"] is None
    assert "calendar does not cover" in out["clock"]["why_null"]
    assert "clock-not-computed" in out["flags"]


async def test_readyz_reports_each_dependency(running: Stack) -> None:
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {
            "postgres": "ok",
            "kafka": "ok",
            "temporal": "ok",
            "consumer referral-case-projection": "ok",  # not waiting for any dependency
            "consumer referral-health-answers": "ok",
        },
    }


async def test_school_refers_to_the_la_and_the_la_clock_starts(
    running: Stack, officer: dict[str, str]
) -> None:
    case_id = (await post(running, "/api/v1/referrals", referral(), officer)).json()["case_id"]
    r = await post(
        running, f"/api/v1/cases/{case_id}/referral-to-la", {"referred_on": "2026-11-23"}, officer
    )
    assert r.status_code == 200, r.text
    detail = (await get(running, f"/api/v1/cases/{case_id}", officer)).json()
    la = next(c for c in detail["clocks"] if c["rule"] == "la-decision")
    assert la["due"] == clock_cli(running, "la-decision", "2026-11-23", CARDIFF, None)["due"]
