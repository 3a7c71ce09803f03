"""Statutory figures from the event table against a hand count of a generated data set: plans
by maintaining body, referrals by source, decisions, reconsiderations requested and decided (by
outcome), disagreements, appeals and their outcomes."""

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from llwybr_contracts.events import (
    AlnDecided,
    AppealDecided,
    AppealLodged,
    CaseOpened,
    ClockMet,
    ClockStarted,
    DisagreementConcluded,
    DisagreementRaised,
    Event,
    IdpCeased,
    IdpIssued,
    IdpTransferred,
    ReferralReceived,
)
from llwybr_contracts.states import CaseState

from .conftest import Desk

TODAY = date(2026, 6, 30)
PERIOD = {"from": "2025-07-01", "to": "2026-06-30"}
CARDIFF, SWANSEA = "W06000015", "W06000011"
SOURCES = ("parent", "school", "health-body", "social-services")


def case_events(i: int, rng: random.Random) -> tuple[dict[str, Any], list[Event]]:
    case_id, authority = f"s-{i:03d}", (CARDIFF, SWANSEA)[i % 2]
    body = rng.choice(("school", "local-authority"))
    start = date(2025, 9, 1) + timedelta(days=rng.randrange(200))
    fact: dict[str, Any] = {"authority": authority, "source": rng.choice(SOURCES)}
    out: list[Event] = [
        ReferralReceived(
            case_id=case_id, referral_id=f"r{i}", child_ref="c", source=fact["source"],
            kind="referral", received_on=start, authority=authority,
        ),
        CaseOpened(
            case_id=case_id, child_ref="c", authority=authority, received_on=start,
            state=CaseState.DECISION_PENDING, deciding_body=body,
        ),
    ]  # fmt: skip
    fact["aln"] = rng.random() < 0.7
    out.append(
        AlnDecided(case_id=case_id, has_aln=fact["aln"], deciding_body=body, decided_on=start)
    )
    fact["maintainer"] = None
    if fact["aln"]:
        out.append(IdpIssued(case_id=case_id, idp_id=f"i{i}", on=start + timedelta(days=20)))
        fact["maintainer"] = "school" if body == "school" else "la"
        if rng.random() < 0.2:
            out.append(
                IdpTransferred(
                    case_id=case_id, idp_id=f"i{i}", on=start + timedelta(days=30), to_body="fei:x1"
                )
            )
            fact["maintainer"] = "fei"
        if rng.random() < 0.1:
            out.append(IdpCeased(case_id=case_id, idp_id=f"i{i}", on=start, reason="moved"))
            fact["maintainer"] = None
    fact["reconsidered"] = body == "school" and rng.random() < 0.3
    if fact["reconsidered"]:
        out.append(
            ClockStarted(case_id=case_id, rule="la-reconsider-decision", start=start, due=start)
        )
    # The authority decides the reconsideration: its clock is met.
    fact["reconsideration_decided"] = fact["reconsidered"] and rng.random() < 0.6
    if fact["reconsideration_decided"]:
        out.append(
            ClockMet(case_id=case_id, rule="la-reconsider-decision", due=start, met_on=start)
        )
        # ... and then its decision, as the journey emits them: the reconsideration's outcome.
        fact["aln"] = fact["reconsidered_aln"] = rng.random() < 0.5
        out.append(
            AlnDecided(
                case_id=case_id, has_aln=fact["aln"], deciding_body="local-authority",
                decided_on=start,
            )
        )  # fmt: skip
    fact["disagreements"] = rng.randrange(3)
    out += [DisagreementRaised(case_id=case_id, raised_on=start)] * fact["disagreements"]
    # Each disagreement raised may have ended, by one of the three outcomes.
    fact["concluded"] = [
        rng.choice(("resolved", "not-resolved", "withdrawn"))
        for _ in range(fact["disagreements"])
        if rng.random() < 0.7
    ]
    out += [
        DisagreementConcluded(case_id=case_id, outcome=outcome, concluded_on=start)
        for outcome in fact["concluded"]
    ]
    fact["appeal"] = rng.choice((None, "upheld", "dismissed"))
    if fact["appeal"]:
        out.append(AppealLodged(case_id=case_id, lodged_on=start))
        out.append(AppealDecided(case_id=case_id, decided_on=start, outcome=fact["appeal"]))
    return fact, out


def hand_count(facts: list[dict[str, Any]], authority: str) -> dict[str, dict[str, int]]:
    mine = [f for f in facts if f["authority"] == authority]
    appeals = Counter("lodged" for f in mine if f["appeal"])
    appeals.update(f"decided:{f['appeal']}" for f in mine if f["appeal"])
    return {
        "idps_by_maintainer": dict(Counter(f["maintainer"] for f in mine if f["maintainer"])),
        "referrals_by_source": dict(Counter(f["source"] for f in mine)),
        "decisions": dict(Counter("aln" if f["aln"] else "no-aln" for f in mine)),
        "reconsiderations": {
            "requested": sum(1 for f in mine if f["reconsidered"]),
            "decided": sum(1 for f in mine if f["reconsideration_decided"]),
            **Counter(
                "decided:aln" if f["reconsidered_aln"] else "decided:no-aln"
                for f in mine
                if f["reconsideration_decided"]
            ),
        },
        "disagreements": {
            "raised": sum(f["disagreements"] for f in mine),
            **Counter(f"concluded:{o}" for f in mine for o in f["concluded"]),
        },
        "appeals": dict(appeals),
    }


async def test_statutory_figures_match_a_hand_count(desk: Desk) -> None:
    desk.set_today(TODAY)
    rng = random.Random(9)
    facts = []
    for i in range(60):
        fact, events = case_events(i, rng)
        facts.append(fact)
        for e in events:
            await desk.publish(e)  # each its own event id, the repeats of DisagreementRaised too
    officer = desk.token(["la-officer"], [f"la:{CARDIFF}"])
    r = await desk.http.get("/api/v1/insight/statutory", params=PERIOD, headers=officer)
    assert r.status_code == 200, r.text
    tables = {t["name"]: t for t in r.json()["tables"]}
    counted = hand_count(facts, CARDIFF)
    assert len(counted["reconsiderations"]) == 4, "reconsiderations decided both ways"
    assert len(counted["disagreements"]) == 4, "the data set ends disagreements every way"
    for name, want in counted.items():
        (row,) = tables[name]["groups"]
        got = {k: v for k, v in row["cells"].items() if v}
        assert got == {k: v for k, v in want.items() if v}, name
    # Version 1 referral events carry no year group: every plan counts as `unknown`.
    plans = sum(1 for f in facts if f["authority"] == CARDIFF and f["maintainer"])
    (by_year,) = tables["idps_by_year_group"]["groups"]
    assert by_year["cells"]["unknown"] == by_year["total"] == plans

    analyst = desk.token(["wg-analyst"], ["wales"])
    r = await desk.http.get("/api/v1/insight/statutory", params=PERIOD, headers=analyst)
    body = r.json()
    assert body["suppressed"] is True and "s-0" not in r.text
    for table in body["tables"]:
        for row in (table["total"], *table["groups"]):
            for value in (row["total"], *row["cells"].values()):
                assert value == "*" or value >= 5, (table["name"], row)
    # Nothing hidden can be worked out: no breakdown or column with exactly one hidden cell.
    for name in ("referrals_by_source", "decisions", "idps_by_maintainer"):
        table = next(t for t in body["tables"] if t["name"] == name)
        rows = [table["total"], *table["groups"]]
        for row in rows:
            assert [row["total"], *row["cells"].values()].count("*") != 1, (name, row)
        for key in ("total", *table["columns"]):
            column = [row["total"] if key == "total" else row["cells"][key] for row in rows]
            assert column.count("*") != 1, (name, key, column)
    # A reconsideration's outcomes add up to those decided: none is left to be worked out.
    table = next(t for t in body["tables"] if t["name"] == "reconsiderations")
    for row in (table["total"], *table["groups"]):
        ended = [row["cells"][k] for k in ("decided", "decided:aln", "decided:no-aln")]
        assert ended.count("*") != 1, row
    wales = {t["name"]: t["total"] for t in body["tables"]}
    decided = Counter("aln" if f["aln"] else "no-aln" for f in facts)
    assert wales["decisions"]["cells"] == {k: v if v >= 5 else "*" for k, v in decided.items()}
