"""Insight on the whole stack, after `llwybr demo`: each authority's share of clocks met within
the statutory time for school-decision, la-decision and health-response is what a hand count of
the published events says; the national view carries no case id and no cell under 5; and
`llwybr insight rebuild` recomputes the same figures from insight's event table.

The demo's cases are taken one step further first (decisions recorded, one s.20 request
answered), so there are met clocks to count whatever sample the demo loads."""

import json
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from llwybr.stack import Stack
from llwybr_clock.shipped import authorities, find_authority
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

RULES = ("school-decision", "la-decision", "health-response")


def cli(stack: Stack, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "llwybr.cli", *args, "--home", str(stack.home)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


async def advance(stack: Stack, token: Callable[..., str]) -> None:
    """Decide every decision-pending case today; ask one board for help on one case, and answer."""
    today = date.today().isoformat()
    # A no-ALN notice meets the decision clock at once (an ALN decision's clock runs on until
    # the plan is issued: docs/rules.md "Met").
    decision = {"outcome": "no-aln", "decided_on": today, "notice_given_on": today}
    asked = False
    async with (
        httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=60) as referral,
        httpx.AsyncClient(base_url=stack.url_of("health-liaison"), timeout=60) as health,
    ):
        for authority in [a.ons_code for a in authorities()]:
            officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + authority)}"}
            page = await referral.get(
                "/api/v1/cases", params={"state": "decision-pending"}, headers=officer
            )
            assert page.status_code == 200, page.text
            for case in page.json()["items"]:
                who = officer
                if case["deciding_body"] == "school":
                    alnco = token("school-alnco", f"school:{case['school_ref']}")
                    who = {"Authorization": f"Bearer {alnco}"}
                elif not asked:
                    asked = await ask_and_answer(referral, health, token, case, officer)
                path = f"/api/v1/cases/{case['case_id']}/decision"
                await eventually(  # a journey still starting refuses with 409 for a moment
                    lambda path=path, who=who: referral.post(path, json=decision, headers=who),
                    lambda r: r.status_code != 409 or "starting" not in r.text,
                    within=60,
                    every=0.5,
                )


async def ask_and_answer(
    referral: httpx.AsyncClient,
    health: httpx.AsyncClient,
    token: Callable[..., str],
    case: dict[str, Any],
    officer: dict[str, str],
) -> bool:
    r = await referral.post(
        f"/api/v1/cases/{case['case_id']}/health-requests",
        json={"reason": "speech and language assessment"},
        headers=officer,
    )
    if r.status_code != 202:
        return False
    request_id = r.json()["request_id"]
    board = find_authority(case["authority"]).health_board_ons_code
    declo = {"Authorization": f"Bearer {token('declo', 'board:' + board)}"}
    answered = await eventually(
        lambda: health.post(
            f"/api/v1/health-requests/{request_id}/response",
            json={"outcome": "no-service"},
            headers=declo,
        ),
        lambda r: r.status_code == 200,
        within=60,
        every=0.5,
    )
    assert answered.status_code == 200, answered.text
    return True


async def published(stack: Stack) -> list[dict[str, Any]]:
    """Every event the referral, journey, health-liaison and idp outboxes have written."""
    socket_dir = stack.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    conn = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    try:
        rows = []
        for schema in ("referral", "journey", "health_liaison", "idp"):
            rows += await conn.fetch(f'SELECT envelope FROM "{schema}".outbox')
    finally:
        await conn.close()
    return [
        json.loads(r["envelope"]) if isinstance(r["envelope"], str) else r["envelope"] for r in rows
    ]


async def kept(stack: Stack) -> set[str]:
    socket_dir = stack.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    conn = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    try:
        return {
            r["event_id"] for r in await conn.fetch("SELECT event_id FROM insight.insight_events")
        }
    finally:
        await conn.close()


def hand_count(events: list[dict[str, Any]], today: date) -> dict[tuple[str, str], float | None]:
    """(authority, rule) -> per cent met within time, from the events as published."""
    authority = {
        e["data"]["case_id"]: e["data"]["authority"]
        for e in events
        if e["type"].startswith("wales.aln.referral.case-opened.v")
    }
    within: dict[tuple[str, str], int] = defaultdict(int)
    timed: dict[tuple[str, str], int] = defaultdict(int)
    for e in events:
        if e["type"] != "wales.aln.journey.clock-met.v1":
            continue
        d = e["data"]
        met_on = date.fromisoformat(d["met_on"])
        if d["rule"] not in RULES or d["due"] is None or met_on < today - timedelta(days=365):
            continue
        key = (authority[d["case_id"]], d["rule"])
        timed[key] += 1
        within[key] += met_on <= date.fromisoformat(d["due"])
    return {k: round(100.0 * within[k] / n, 1) for k, n in timed.items()}


async def timeliness(stack: Stack, headers: dict[str, str], **params: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url_of("insight"), timeout=60) as http:
        r = await http.get("/api/v1/insight/timeliness", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def per_authority(
    stack: Stack, token: Callable[..., str], codes: list[str]
) -> dict[tuple[str, str], float | None]:
    out = {}
    for code in codes:
        officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + code)}"}
        body = await timeliness(stack, officer)
        for rule in body["rules"]:
            if rule["rule"] in RULES:
                out[(code, rule["rule"])] = rule["total"]["within_time_percent"]
    return out


def cells(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [c for v in value.values() for c in cells(v)]
    if isinstance(value, list):
        return [c for v in value for c in cells(v)]
    return [value]


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_after_the_demo_each_authority_s_share_within_time_matches_a_hand_count(
    running: Stack, token: Callable[..., str]
) -> None:
    cli(running, "demo")  # the standard spread (a second run, after test_demo, adds nothing)
    await advance(running, token)

    def rules_met(events: list[dict[str, Any]]) -> set[str]:
        met = [e for e in events if e["type"] == "wales.aln.journey.clock-met.v1"]
        return {e["data"]["rule"] for e in met} & set(RULES)

    events = await eventually(
        lambda: published(running), lambda es: rules_met(es) == set(RULES), within=120
    )
    assert rules_met(events) == set(RULES), "the demo and the steps here did not meet every rule"

    async def caught_up() -> bool:
        ids = {e["id"] for e in await published(running)}
        return ids <= await kept(running)

    assert await eventually(caught_up, bool, within=120, every=0.5)
    events = await published(running)
    today = date.today()
    want = hand_count(events, today)
    codes = sorted({e["data"]["authority"] for e in events if ".case-opened.v" in e["type"]})
    got = await per_authority(running, token, codes)
    assert {k: v for k, v in got.items() if v is not None} == want

    # Nationally: no case id, no cell under 5.
    analyst = {"Authorization": f"Bearer {token('wg-analyst', 'wales')}"}
    national = await timeliness(running, analyst)
    text = json.dumps(national)
    case_ids = {e["data"]["case_id"] for e in events if "case_id" in e["data"]}
    assert not [c for c in case_ids if c in text]
    for rule in national["rules"]:
        for row in (rule["total"], *rule["groups"]):
            counted = [row[k] for k in ("completed", "within_time", "late", "breaches")]
            counted += cells(row["open"]) + cells(row["exceptions"])
            assert all(c == "*" or c >= 5 for c in counted), row

    # Cardiff's plans by language of education and its Welsh-medium provision, from the codes
    # the demo's referrals and plans carry (version 2 events), as a hand count says.
    want_plans = plans_by_language(events, today, CARDIFF)
    assert want_plans, "the demo issues plans in Cardiff"
    assert await cardiff_plans(running, token) == want_plans

    # Recomputed from insight's own table, the figures are the same.
    assert "recomputed from" in cli(running, "insight", "rebuild")
    assert await per_authority(running, token, codes) == got
    assert await cardiff_plans(running, token) == want_plans


CARDIFF = "W06000015"


def plans_by_language(events: list[dict[str, Any]], today: date, authority: str) -> dict[str, Any]:
    """Current plans by language of education, and learners in Welsh-medium or bilingual
    education with a plan and their items in Welsh, from the published events."""
    opened = {e["data"]["case_id"]: e["data"] for e in events if ".case-opened.v" in e["type"]}
    plans: dict[str, dict[str, Any]] = {}
    for e in sorted(events, key=lambda e: e["time"]):
        d = e["data"]
        on = date.fromisoformat(d["on"]) if "on" in d else None
        if ".idp-issued.v" in e["type"] or ".idp-reviewed.v" in e["type"]:
            if on is not None and on <= today:
                plans[d["case_id"]] = d
        if ".idp-ceased.v" in e["type"] and on is not None and on <= today:
            plans.pop(d["case_id"], None)
    mine = {c: p for c, p in plans.items() if opened[c]["authority"] == authority}
    languages = {c: opened[c].get("language_of_education", "unknown") for c in mine}
    welsh = [c for c in mine if languages[c] in ("welsh-medium", "bilingual")]
    return {
        "by_language": dict(Counter(languages.values())),
        "learners": len(welsh),
        "items-in-welsh": sum(mine[c].get("provision_items_in_welsh", 0) for c in welsh),
    }


async def cardiff_plans(stack: Stack, token: Callable[..., str]) -> dict[str, Any]:
    officer = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with httpx.AsyncClient(base_url=stack.url_of("insight"), timeout=60) as http:
        r = await http.get("/api/v1/insight/statutory", headers=officer)
    assert r.status_code == 200, r.text
    tables = {t["name"]: t["total"] for t in r.json()["tables"]}
    welsh = tables["welsh_medium_provision"]["cells"]
    return {
        "by_language": {k: v for k, v in tables["idps_by_language"]["cells"].items() if v},
        "learners": welsh["learners"],
        "items-in-welsh": welsh["items-in-welsh"],
    }


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_insight_s_own_role_cannot_change_or_empty_its_event_table(running: Stack) -> None:
    url = running.component_env("insight")["LLWYBR_DATABASE_URL"]
    conn = await asyncpg.connect(dsn=url.replace("+asyncpg", "", 1))
    try:
        assert await conn.fetchval("SELECT current_user") != "postgres"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE insight.insight_events")
        for statement in (
            "UPDATE insight.insight_events SET topic = 'x'",
            "DELETE FROM insight.insight_events",
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                # A row to refuse: the trigger fires per row, so give it one.
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO insight.insight_events (event_id, topic, type, name, subject, "
                        "time, data, received_at) VALUES ('probe', 't', 'x', 'X', 's', now(), "
                        "'{}', now())"
                    )
                    await conn.execute(statement)
    finally:
        await conn.close()
