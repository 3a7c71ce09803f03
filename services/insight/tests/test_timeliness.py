"""Timeliness from the event table, checked against a hand count of a generated data set:
per rule and authority for a local authority, national aggregates for a Welsh Government
analyst (no case ids, nothing under 5), the same figures again after `rebuild`."""

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from insight import service
from llwybr.stack import Endpoints
from llwybr_contracts.vocabulary import RuleId

from .conftest import Desk, open_desk
from .dataset import RULES, TODAY, Planned, events, hand_count, plan

CARDIFF, SWANSEA = "W06000015", "W06000011"
CARDIFF_AND_VALE = "W11000029"
PLANS = plan(90)
PERIOD = {"from": "2025-07-01", "to": "2026-06-30"}
COUNTS = ("completed", "within_time", "late", "limit_lifted", "breaches")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def fed(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path_factory.mktemp("insight")) as desk:
        desk.set_today(TODAY)
        for p in PLANS:
            for event in events(p):
                await desk.publish(event)
        yield desk


def la(desk: Desk, authority: str = CARDIFF) -> dict[str, str]:
    return desk.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")


def analyst(desk: Desk) -> dict[str, str]:
    return desk.token(["wg-analyst"], ["wales"], subject="analyst-1")


async def report(desk: Desk, headers: dict[str, str], **query: str) -> dict[str, Any]:
    r = await desk.http.get(
        "/api/v1/insight/timeliness", params={**PERIOD, **query}, headers=headers
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def figures(row: dict[str, Any]) -> dict[str, Any]:
    keys = (*COUNTS, "within_time_percent", "median_days", "p90_days", "median_breach_days")
    return {**{k: row[k] for k in keys}, "open": row["open"]}


def expected(plans: list[Planned], rule: str, authority: str | None = None) -> dict[str, Any]:
    return hand_count(plans, rule, authority)


async def test_an_authority_sees_its_own_figures_as_counted_by_hand(fed: Desk) -> None:
    body = await report(fed, la(fed))
    assert body["scope"] == f"la:{CARDIFF}" and body["suppressed"] is False
    by_rule = {r["rule"]: r for r in body["rules"]}
    for rule in RULES:
        assert [g["group"] for g in by_rule[rule]["groups"]] == [CARDIFF]
        assert figures(by_rule[rule]["total"]) == expected(PLANS, rule, CARDIFF), rule
        # Its breaches by case, with how late each ran.
        breaches = by_rule[rule]["total"]["breach_list"]
        mine = {p.case_id for p in PLANS if p.rule == rule and p.authority == CARDIFF}
        late = {p.case_id for p in PLANS if p.case_id in mine and p.outcome in ("late", "overdue")}
        assert {b["case_id"] for b in breaches} == late
        assert all(b["days_late"] > 0 for b in breaches)
    # Every rule is reported, those with no clocks too.
    assert [r["rule"] for r in body["rules"]] == [rule.value for rule in RuleId]
    async with fed.session() as s:
        audited = (
            await s.execute(
                text(
                    "SELECT resource, case_id FROM audit_log WHERE actor = :a "
                    "AND resource LIKE '%timeliness'"
                ),
                {"a": f"officer-{CARDIFF}"},
            )
        ).all()
    assert ("insight-timeliness", None) in audited
    shown = {b["case_id"] for r in body["rules"] for b in r["total"]["breach_list"]}
    assert shown and shown <= {c for res, c in audited if res == "case-timeliness"}


async def test_exceptions_that_paused_or_lifted_clocks_are_counted(fed: Desk) -> None:
    body = await report(fed, la(fed), rule="la-decision")
    (rule,) = body["rules"]
    mine = [p for p in PLANS if p.rule == "la-decision" and p.authority == CARDIFF]
    paused = sum(1 for p in mine if p.outcome in ("paused-within", "paused-open"))
    lifted = sum(1 for p in mine if p.outcome == "lifted")
    want = {
        k: v for k, v in {"paused:child-absent": paused, "lifted:impractical": lifted}.items() if v
    }
    assert rule["total"]["exceptions"] == want


async def test_a_board_sees_the_authorities_it_covers(fed: Desk) -> None:
    # Cardiff is in Cardiff and Vale; Swansea and Newport are not.
    headers = fed.token(["declo"], [f"board:{CARDIFF_AND_VALE}"], subject="declo-cav")
    body = await report(fed, headers, rule="health-response", group_by="board")
    (rule,) = body["rules"]
    assert [g["group"] for g in rule["groups"]] == [CARDIFF_AND_VALE]
    assert figures(rule["total"]) == expected(PLANS, "health-response", CARDIFF)


async def test_groups_add_up_to_the_total_whatever_the_grouping(fed: Desk) -> None:
    for group_by in ("school", "month", "academic_year", "authority", "fei"):
        body = await report(fed, la(fed), rule="school-decision", group_by=group_by)
        (rule,) = body["rules"]
        for key in COUNTS:
            assert sum(g[key] for g in rule["groups"]) == rule["total"][key], (group_by, key)
    body = await report(fed, la(fed), rule="school-decision", group_by="academic_year")
    assert {g["group"] for g in body["rules"][0]["groups"]} <= {"2025/26", "2024/25"}


def cells(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [c for v in value.values() for c in cells(v)]
    if isinstance(value, list):
        return [c for v in value for c in cells(v)]
    return [value]


async def test_the_national_view_has_no_case_ids_and_no_cell_under_5(fed: Desk) -> None:
    body = await report(fed, analyst(fed))
    assert body["scope"] == "wales" and body["suppressed"] is True
    assert "case-" not in json.dumps(body)
    for rule in body["rules"]:
        for row in (rule["total"], *rule["groups"]):
            counted = [row[k] for k in COUNTS] + cells(row["open"]) + cells(row["exceptions"])
            assert all(c == "*" or (isinstance(c, int) and c >= 5) for c in counted), row
            assert row["breach_list"] is None
    # The all-Wales totals, where shown, are the hand count of the whole data set.
    by_rule = {r["rule"]: r for r in body["rules"]}
    shown = 0
    for rule in RULES:
        want = expected(PLANS, rule)
        for key in COUNTS:
            got = by_rule[rule]["total"][key]
            if got != "*":
                shown += 1
                assert got == want[key], (rule, key)
    assert shown >= 6  # the data set is large enough for Wales totals to be published


async def test_secondary_suppression_leaves_nothing_derivable(fed: Desk) -> None:
    body = await report(fed, analyst(fed))
    for rule in body["rules"]:
        rows = [rule["total"], *rule["groups"]]
        for key in COUNTS:
            column = [r[key] for r in rows]
            # One hidden cell among shown ones is the total minus the rest.
            assert len(column) == 1 or column.count("*") != 1, (rule["rule"], key, column)
        for row in rows:
            breakdown = [row[k] for k in ("completed", "within_time", "late", "limit_lifted")]
            assert breakdown.count("*") != 1, (rule["rule"], row["group"], breakdown)


async def test_rebuild_recomputes_the_same_figures_from_the_event_table(fed: Desk) -> None:
    before = await report(fed, la(fed))
    national = await report(fed, analyst(fed))
    async with fed.session() as s:
        await s.execute(text("DELETE FROM insight_clock_facts"))
        await s.execute(text("DELETE FROM insight_case_facts"))
    emptied = await report(fed, la(fed))
    assert all(r["total"]["completed"] == 0 for r in emptied["rules"])
    async with fed.session() as s:
        cases, clocks = await service.rebuild(s)
    assert cases == len(PLANS) and clocks == len(PLANS)
    assert await report(fed, la(fed)) == before
    assert await report(fed, analyst(fed)) == national


async def test_refusals_name_the_field_or_the_reason(fed: Desk) -> None:
    get = fed.http.get
    path = "/api/v1/insight/timeliness"
    assert (await get(path)).status_code == 401
    alnco = fed.token(["school-alnco"], ["school:6812345"])
    r = await get(path, headers=alnco)
    assert r.status_code == 403 and r.json()["code"] == "insight.access.scope"
    r = await get(path, params={"authority": SWANSEA}, headers=la(fed))
    assert r.status_code == 403 and r.json()["code"] == "insight.access.authority"
    assert "W06000011" in r.json()["detail"]
    r = await get(path, params={"authority": SWANSEA}, headers={**la(fed), "Accept-Language": "cy"})
    assert "y tu allan i'ch cwmpas" in r.json()["detail"]
    for query, field in (
        ({"rule": "school-decisions"}, "rule"),
        ({"group_by": "county"}, "group_by"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"authority": "Atlantis"}, "authority"),
    ):
        r = await get(path, params=query, headers=analyst(fed))
        assert r.status_code == 422, (query, r.text)
        assert [e["field"].removeprefix("query.") for e in r.json()["errors"]] == [field]
    # A national caller may narrow to one authority, still suppressed.
    r = await get(path, params={"authority": SWANSEA, **PERIOD}, headers=analyst(fed))
    assert r.status_code == 200 and r.json()["suppressed"] is True


async def test_exports_are_suppressed_csv_and_an_ods_workbook_with_notes(fed: Desk) -> None:
    r = await fed.http.get("/api/v1/insight/exports/timeliness.csv", params=PERIOD, headers=la(fed))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["rule", "group_by", "group"]
    assert "case-" not in r.text
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        for key in COUNTS:
            assert row[key] == "*" or int(row[key]) >= 5, line
    r = await fed.http.get(
        "/api/v1/insight/exports/statutory.ods", params=PERIOD, headers=analyst(fed)
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    first = z.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    content = z.read("content.xml").decode()
    assert re.findall(r'table:name="([^"]+)"', content) == ["timeliness", "statutory", "notes"]
    assert "illustrative" in content and "case-" not in content
    # The notes name the rules counted in school days (they rest on a school calendar), and
    # only those: la-decision counts calendar days.
    notes = re.findall(r"<text:p>([^<]*)</text:p>", content)
    (calendars,) = [note for note in notes if "school calendars" in note]
    assert "(school-decision, fei-decision, fei-takeover-response)" in calendars
    assert "la-decision" not in calendars and "health-response" not in calendars
    import xml.dom.minidom

    xml.dom.minidom.parseString(content)  # well-formed
