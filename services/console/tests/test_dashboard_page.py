"""The manager's dashboard on insight's timeliness figures (insight answered by a fake): the
monthly, per-rule, per-school, breach and exception tables, their chart data, the CSV of each,
Welsh and English, and who may see it."""

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest

from llwybr_common.wales import today_in_wales

from .test_pages import sign_in

pytestmark = pytest.mark.unit

TODAY = today_in_wales()
THIS_MONTH = TODAY.strftime("%Y-%m")


def row(group: str, within: Any = 0, late: Any = 0, **kw: Any) -> dict[str, Any]:
    timed = within + late if isinstance(within, int) and isinstance(late, int) else None
    pc = round(100.0 * within / timed, 1) if timed else None
    return {
        "group": group,
        "completed": kw.pop("completed", timed or 0),
        "within_time": within,
        "late": late,
        "limit_lifted": kw.pop("limit_lifted", 0),
        "within_time_percent": kw.pop("pc", pc),
        "median_days": kw.pop("median_days", None),
        "p90_days": None,
        "breaches": kw.pop("breaches", late),
        "median_breach_days": None,
        "exceptions": kw.pop("exceptions", {}),
        "open": kw.pop("open", {"total": 0, "running": 0, "paused": 0, "lifted": 0, "overdue": 0}),
        "breach_list": kw.pop("breach_list", None),
    }


def report(group_by: str, rules: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]) -> Any:
    return {
        "scope": "la:W06000015",
        "as_of": TODAY.isoformat(),
        "period_from": "2025-12-01",
        "period_to": TODAY.isoformat(),
        "group_by": group_by,
        "suppressed": False,
        "rules": [{"rule": r, "total": t, "groups": g} for r, (t, g) in rules.items()],
    }


BREACH = {
    "case_id": "c-late",
    "request_id": None,
    "due": "2026-10-01",
    "met_on": "2026-10-08",
    "days_late": 7,
}
OPEN_BREACH = {"case_id": "c-open", "request_id": "r-1", "due": "2026-11-02", "days_late": 20}

BY_MONTH = report(
    "month",
    {
        # 3 school decisions in time and 1 LA decision late this month: 3 of 4, 75%.
        "school-decision": (row("all", 3, 0), [row(THIS_MONTH, 3, 0)]),
        "la-decision": (
            row("all", 0, 1, median_days=91.0, breach_list=[BREACH]),
            [row(THIS_MONTH, 0, 1)],
        ),
        "health-response": (
            row(
                "all",
                1,
                0,
                breaches=1,
                exceptions={"paused:awaiting-information-outside-control": 1},
                open={"total": 1, "running": 0, "paused": 0, "lifted": 0, "overdue": 1},
                breach_list=[OPEN_BREACH],
            ),
            [row(THIS_MONTH, 1, 0)],
        ),
        "idp-review": (row("all"), []),  # nothing: not listed
    },
)
BY_SCHOOL = report(
    "school",
    {
        "school-decision": (row("all", 3, 0), [row("6812345", 2, 0), row("6812001", 1, 0)]),
        "la-decision": (row("all", 0, 1), [row("not-recorded", 0, 1)]),
        "health-response": (row("all", 1, 0), [row("6812345", 1, 0)]),
    },
)


def table(name: str, columns: list[str], rows: dict[str, dict[str, int]]) -> dict[str, Any]:
    def one(group: str, cells: dict[str, int]) -> dict[str, Any]:
        return {"group": group, "total": sum(cells.values()), "cells": cells}

    every = {c: sum(r.get(c, 0) for r in rows.values()) for c in columns}
    return {
        "name": name,
        "meaning": name,
        "columns": columns,
        "total": one("all", every),
        "groups": [one(g, {c: r.get(c, 0) for c in columns}) for g, r in rows.items()],
    }


STATUTORY = {
    "scope": "la:W06000015",
    "as_of": TODAY.isoformat(),
    "period_from": "2025-12-01",
    "period_to": TODAY.isoformat(),
    "suppressed": False,
    "tables": [
        table("decisions", ["aln", "no-aln"], {"W06000015": {"aln": 7, "no-aln": 2}}),
        table(
            "referrals_by_source",
            ["parent", "school", "other"],
            {"W06000015": {"parent": 4, "school": 9, "other": 1}},
        ),
    ],
}


def answer_insight(fake: Any) -> None:
    def timeliness(request: httpx.Request) -> httpx.Response:
        group_by = request.url.params.get("group_by")
        return httpx.Response(200, json=BY_MONTH if group_by == "month" else BY_SCHOOL)

    fake.on("GET", "/api/v1/insight/timeliness", timeliness)
    fake.on("GET", "/api/v1/insight/statutory", STATUTORY)


def table_rows(page: str, name: str) -> dict[str, list[str]]:
    """The table `name`'s rows: the row key -> the cells' text."""
    body = page.split(f'id="{name}-table"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for key, cells in re.findall(
        r'<tr class="govuk-table__row" data-key="([^"]*)">(.*?)</tr>', body, re.S
    ):
        rows[key] = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", cells, re.S)
        ]
    return rows


def chart(page: str, name: str) -> Any:
    found = re.search(
        rf'<script type="application/json" id="{name}-data">(.*?)</script>', page, re.S
    )
    assert found, f"no chart data for {name}"
    return json.loads(found.group(1))


async def test_a_manager_sees_decisions_and_health_answers_within_time(
    console: httpx.AsyncClient, fake: Any
) -> None:
    answer_insight(fake)
    await sign_in(console, "la-manager.cardiff")
    await console.get("/language/en")
    page = (await console.get("/dashboard")).text
    assert 'href="/dashboard"' in page  # in the header's navigation
    assert "Figures for Cardiff, from 1" in page

    months = table_rows(page, "months")
    assert len(months) == 12 and list(months)[-1] == THIS_MONTH  # every month of the period
    assert months[THIS_MONTH][1:] == ["4", "3", "75%", "1", "1", "100%"]
    earlier = next(iter(months))
    assert months[earlier][1:] == ["0", "0", "none", "0", "0", "none"]
    data = chart(page, "months")
    assert data["datasets"][0]["data"][-1] == 75.0 and data["datasets"][1]["data"][-1] == 100.0
    assert data["datasets"][0]["data"][0] is None  # no decision that month: no point

    rules = table_rows(page, "rules")
    assert set(rules) == {"school-decision", "la-decision", "health-response"}
    assert rules["la-decision"][1:] == ["1", "0", "1", "0", "0%", "91.0", "1", "0"]
    assert chart(page, "rules")["labels"][0].startswith("School's decision")

    schools = table_rows(page, "groups")
    assert schools["6812345"][1:] == ["2", "2", "100%", "1", "1", "100%"]
    assert schools["not-recorded"][0] == "Not recorded"
    assert list(schools)[-1] == "not-recorded"

    breaches = table_rows(page, "breaches")
    assert list(breaches) == ["c-open", "c-late"]  # most days late first
    assert breaches["c-open"][2:] == ["2 November 2026", "Still open", "20"]
    assert 'href="/cases/c-late"' in page
    reasons = table_rows(page, "exceptions")
    assert reasons["health-response"][1:] == [
        "Paused",
        "waiting for information outside our control",
        "1",
    ]

    decisions = table_rows(page, "decisions")
    assert decisions["W06000015"] == ["Cardiff", "9", "7", "2"]
    assert decisions["all"] == ["All", "9", "7", "2"]
    assert "Does not have ALN" in page and chart(page, "decisions")["datasets"][0]["data"] == [7, 2]
    referrals = table_rows(page, "referrals")
    assert referrals["W06000015"][1:] == ["14", "4", "9", "1"]
    assert ">Someone else<" in page

    # The charts are drawn by the console's own copy of Chart.js, never a CDN.
    assert '<script src="/static/vendor/chart.js-4.6.1/chart.umd.min.js" defer>' in page
    assert "https://" not in page.split("<body", 1)[1].split("</main>", 1)[0]
    js = await console.get("/static/vendor/chart.js-4.6.1/chart.umd.min.js")
    assert js.status_code == 200 and b"Chart.js v4.6.1" in js.content[:200]
    asked = [r for r in fake.sent if r.url.path == "/api/v1/insight/timeliness"]
    assert {r.url.params["group_by"] for r in asked} == {"month", "school"}
    assert asked[0].url.params["to"] == TODAY.isoformat()
    assert asked[0].headers["authorization"].startswith("Bearer ")


# Insight's export of the same figures, suppressed as every file leaving Llwybr is (insight's
# exports.py columns; its `all` line is the rule's total).
EXPORT_HEADER = (
    "rule,group_by,group,completed,within_time,late,limit_lifted,within_time_percent,"
    "median_days,p90_days,breaches,median_breach_days,open_total,open_running,open_paused,"
    "open_lifted,open_overdue,exceptions"
)


def export_csv(group_by: str) -> str:
    key = THIS_MONTH if group_by == "month" else "6812345"
    lines = [
        EXPORT_HEADER,
        f"school-decision,{group_by},{key},*,*,0,0,*,,,0,,0,0,0,0,0,",
        f"school-decision,{group_by},all,*,*,0,0,*,,,0,,0,0,0,0,0,",
        f"health-response,{group_by},{key},*,*,0,0,*,,,0,,0,0,0,0,0,",
        f"health-response,{group_by},all,*,*,0,0,*,,,*,,*,0,0,0,*,"
        "paused:awaiting-information-outside-control=*",
    ]
    return "\r\n".join(lines) + "\r\n"


def answer_exports(fake: Any) -> None:
    def export(request: httpx.Request) -> httpx.Response:
        body = export_csv(request.url.params["group_by"])
        return httpx.Response(200, text=body, headers={"content-type": "text/csv"})

    fake.on("GET", "/api/v1/insight/exports/timeliness.csv", export)
    statutory = (
        "table,group,column,count\r\n"
        "decisions,W06000015,total,9\r\ndecisions,W06000015,aln,7\r\n"
        "decisions,W06000015,no-aln,*\r\n"
        "decisions,all,total,9\r\ndecisions,all,aln,7\r\ndecisions,all,no-aln,*\r\n"
        "referrals_by_source,all,total,14\r\nreferrals_by_source,all,parent,*\r\n"
    )
    fake.on(
        "GET",
        "/api/v1/insight/exports/statutory.csv",
        lambda _r: httpx.Response(200, text=statutory, headers={"content-type": "text/csv"}),
    )


def read_csv(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


async def test_each_table_downloads_as_csv_suppressed_like_every_export(
    console: httpx.AsyncClient, fake: Any
) -> None:
    answer_insight(fake)
    answer_exports(fake)
    await sign_in(console, "la-manager.cardiff")
    await console.get("/language/cy")
    page = (await console.get("/dashboard?months=6")).text
    assert 'href="/dashboard/months.csv?months=6"' in page
    assert "Penderfyniadau ac atebion iechyd o fewn yr amser statudol, fesul mis" in page
    assert "fel *, ac ni enwir unrhyw achos" in page  # the page says downloads are suppressed
    assert table_rows(page, "months")[THIS_MONTH][1:3] == ["4", "3"]  # the page: as it is

    rows = read_csv(await console.get("/dashboard/months.csv?months=6"))
    assert rows[0][0] == "Mis" and rows[0][3] == "Penderfyniadau o fewn amser (%)"
    assert len(rows) == 1 + 6  # the table's layout, the page's language
    assert rows[-1] == [THIS_MONTH, "*", "*", "*", "*", "*", "*"]  # the export's figures
    asked = fake.sent[-1]
    assert asked.url.path == "/api/v1/insight/exports/timeliness.csv"
    assert (asked.url.params["group_by"], asked.url.params["to"]) == ("month", TODAY.isoformat())

    rules = read_csv(await console.get("/dashboard/rules.csv"))
    assert [r[0] for r in rules[1:]] == ["school-decision", "health-response"]
    schools = read_csv(await console.get("/dashboard/groups.csv"))
    assert schools[1][0] == "6812345" and fake.sent[-1].url.params["group_by"] == "school"
    reasons = read_csv(await console.get("/dashboard/exceptions.csv"))
    assert reasons[1] == ["health-response", "paused", "awaiting-information-outside-control", "*"]

    decided = read_csv(await console.get("/dashboard/decisions.csv"))
    assert decided[0] == [
        "Awdurdod lleol",
        "Cyfanswm",
        "Mae gan y dysgwr ADY",
        "Nid oes gan y dysgwr ADY",
    ]
    assert decided[1:] == [["W06000015", "9", "7", "*"], ["all", "9", "7", "*"]]
    assert fake.sent[-1].url.path == "/api/v1/insight/exports/statutory.csv"
    referred = read_csv(await console.get("/dashboard/referrals.csv"))
    assert referred[1] == ["all", "14", "*"]

    # The breaches name cases: on the page for the manager, never in a file.
    assert 'href="/dashboard/breaches.csv' not in page and 'id="breaches-no-csv"' in page
    assert (await console.get("/dashboard/breaches.csv")).status_code == 404
    assert (await console.get("/dashboard/people.csv")).status_code == 404


async def test_national_figures_say_they_are_suppressed_and_keep_the_stars(
    console: httpx.AsyncClient, fake: Any
) -> None:
    hidden = report(
        "month",
        {"la-decision": (row("all", "*", "*", pc="*", completed="*"), [row(THIS_MONTH, "*", 6)])},
    )
    hidden["suppressed"], hidden["scope"] = True, "wales"
    fake.on("GET", "/api/v1/insight/timeliness", hidden)
    fake.on("GET", "/api/v1/insight/statutory", {**STATUTORY, "suppressed": True, "tables": []})
    await sign_in(console, "head-of-service.cardiff")
    await console.get("/language/en")
    page = (await console.get("/dashboard")).text
    assert "numbers under 5" in page and "Figures for Wales" in page
    assert table_rows(page, "months")[THIS_MONTH][1:4] == ["*", "*", "*"]
    assert chart(page, "months")["datasets"][0]["data"][-1] is None


async def test_an_officer_is_not_shown_it_a_board_sees_its_own_and_refusals_are_said(
    console: httpx.AsyncClient, fake: Any
) -> None:
    answer_insight(fake)
    await sign_in(console, "la-officer.cardiff")
    page = await console.get("/cases")
    assert 'href="/dashboard"' not in page.text
    assert (await console.get("/dashboard")).status_code == 403
    assert not [r for r in fake.sent if "insight" in r.url.path]

    # The board's ALN lead: figures by authority; a breach links to the board's own request,
    # never to the LA's case page (which the board cannot open).
    await sign_in(console, "board-aln-lead.cav")
    await console.get("/language/en")
    page = (await console.get("/dashboard")).text
    assert "By local authority" in page
    assert 'href="/health-requests/r-1"' in page and 'href="/cases/' not in page
    asked = [r.url.params.get("group_by") for r in fake.sent if r.url.path.endswith("timeliness")]
    assert asked[-2:] == ["month", "authority"]

    fake.on(
        "GET",
        "/api/v1/insight/timeliness",
        {"code": "unavailable", "title": "Insight is down"},
        status=503,
    )
    r = await console.get("/dashboard")
    assert r.status_code == 503 and "Insight is down" in r.text
