"""The manager's dashboard: how much of the authority's (or board's) statutory work was done in
time, from the insight service's timeliness figures (docs/rules.md, insight).

Four tables, each with the same numbers drawn as a Chart.js chart above it and offered as a CSV
download: decisions and health answers within statutory time per month, every rule's figures,
the same per school (an authority's view), per authority (a board's) or per board (Wales), and
the clocks that breached their limit, with the reasons clocks were paused or lifted. Decisions
are the ALN decisions' clocks (Act s.11, s.13 and s.26; Regs reg 10), health answers the NHS
body's six weeks (Regs reg 11). Insight scopes and audits every read itself; the console only
chooses the period and lays the figures out."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console.identity import SignedIn, User
from console.language import has_text, long_date, page_language, text
from console.services import services_of
from console.templating import render
from llwybr_clock.shipped import authorities, health_boards
from llwybr_common.wales import today_in_wales
from llwybr_contracts.vocabulary import RuleId

router = APIRouter()

# Who sees figures: insight answers LA and health roles for their scope and Welsh Government
# analysts nationally; the dashboard is the managers' page.
MANAGER_ROLES = ("la-manager", "head-of-service", "board-aln-lead", "wg-analyst")
DECISION_RULES = (
    RuleId.SCHOOL_DECISION,
    RuleId.LA_DECISION,
    RuleId.LA_RECONSIDER_DECISION,
    RuleId.LA_NOT_NECESSARY,
)
HEALTH_RULES = (RuleId.HEALTH_RESPONSE,)
PERIODS = (3, 6, 12, 24)  # months, ending today
DEFAULT_MONTHS = 12
SUPPRESSED = "*"
TABLES = ("months", "rules", "groups", "breaches", "exceptions", "decisions", "referrals")
# Breaches name cases: shown to the manager, never in a file (insight's exports name none).
DOWNLOADS = ("months", "rules", "groups", "exceptions", "decisions", "referrals")
# The console's table -> insight's statutory table and the words for its columns.
STATUTORY = {"decisions": "decisions", "referrals": "referrals_by_source"}

Value = int | float | str | None


@dataclass
class Cell:
    """One cell: `value` goes in the CSV and the chart, `shown` on the page; `href` a link."""

    value: Value
    shown: str
    href: str | None = None


@dataclass
class Table:
    name: str
    columns: list[str]  # headings, already in the page's language
    rows: list[list[Cell]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # columns aligned as numbers
    chart: dict[str, Any] | None = None  # Chart.js `data` (labels and datasets)
    chart_kind: str = "bar"

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([_safe(c) for c in self.columns])
        for row in self.rows:
            writer.writerow(["" if c.value is None else _safe(str(c.value)) for c in row])
        return out.getvalue()


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` months before this one: 12 months is this month
    and the eleven before it."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _month_keys(start: date, end: date) -> list[str]:
    keys, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return keys


def _number(value: Value, lang: str) -> str:
    if value is None:
        return text("dashboard.none", lang)
    if value == SUPPRESSED:
        return text("dashboard.suppressed-cell", lang)
    return str(value)


def _percent(value: Value, lang: str) -> str:
    if isinstance(value, (int, float)):
        return f"{value:g}%"
    return _number(value, lang)


def _count(row: dict[str, Any] | None, key: str) -> Value:
    return 0 if row is None else row.get(key, 0)


def _timed(rows: list[dict[str, Any] | None]) -> tuple[Value, Value, Value]:
    """Within time, timed (within + late) and the percentage, summed over rules' rows; a
    suppressed cell (national figures) makes the sum unknown."""
    within, late = 0, 0
    for row in rows:
        w, lt = _count(row, "within_time"), _count(row, "late")
        if not isinstance(w, int) or not isinstance(lt, int):
            return SUPPRESSED, SUPPRESSED, SUPPRESSED
        within, late = within + w, late + lt
    timed = within + late
    return within, timed, (round(100.0 * within / timed, 1) if timed else None)


def _index(report: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """rule -> group -> row."""
    return {r["rule"]: {g["group"]: g for g in r["groups"]} for r in report["rules"]}


def _group_label(kind: str, key: str, lang: str) -> str:
    if key == "not-recorded":
        return text("dashboard.not-recorded", lang)
    names: dict[str, tuple[str, str]] = {}
    if kind == "authority":
        names = {a.ons_code: (a.name_cy, a.name_en) for a in authorities()}
    elif kind == "board":
        names = {b.ons_code: (b.name_cy, b.name_en) for b in health_boards()}
    if key in names:
        return names[key][0 if lang == "cy" else 1]
    return key


def _split_table(
    name: str, first: str, keys: list[tuple[str, str]], by_rule: dict[str, Any], lang: str
) -> Table:
    """Decisions and health answers side by side, one row per key (a month or a group)."""
    table = Table(
        name,
        [
            first,
            text("dashboard.col.decisions-timed", lang),
            text("dashboard.col.decisions-within", lang),
            text("dashboard.col.decisions-percent", lang),
            text("dashboard.col.health-timed", lang),
            text("dashboard.col.health-within", lang),
            text("dashboard.col.health-percent", lang),
        ],
        numeric={1, 2, 3, 4, 5, 6},
    )
    decisions_pc: list[Value] = []
    health_pc: list[Value] = []
    for key, label in keys:
        row = [Cell(key, label)]
        for rules, series in ((DECISION_RULES, decisions_pc), (HEALTH_RULES, health_pc)):
            within, timed, pc = _timed([by_rule.get(r, {}).get(key) for r in rules])
            row += [
                Cell(timed, _number(timed, lang)),
                Cell(within, _number(within, lang)),
                Cell(pc, _percent(pc, lang)),
            ]
            series.append(pc if isinstance(pc, (int, float)) else None)
        table.rows.append(row)
    table.chart = {
        "labels": [label for _, label in keys],
        "datasets": [
            {"label": text("dashboard.series.decisions", lang), "data": decisions_pc},
            {"label": text("dashboard.series.health", lang), "data": health_pc},
        ],
    }
    return table


def months_table(report: dict[str, Any], start: date, end: date, lang: str) -> Table:
    keys = [(k, f"{text(f'month.{int(k[5:])}', lang)} {k[:4]}") for k in _month_keys(start, end)]
    table = _split_table("months", text("dashboard.col.month", lang), keys, _index(report), lang)
    table.chart_kind = "line"
    return table


def groups_table(report: dict[str, Any], kind: str, lang: str) -> Table:
    by_rule = _index(report)
    wanted = {*DECISION_RULES, *HEALTH_RULES}
    found = sorted({g for r, groups in by_rule.items() if r in wanted for g in groups})
    keys = [(k, _group_label(kind, k, lang)) for k in found]
    keys.sort(key=lambda k: (k[0] == "not-recorded", k[1]))
    return _split_table("groups", text(f"dashboard.col.{kind}", lang), keys, by_rule, lang)


def rules_table(report: dict[str, Any], lang: str) -> Table:
    table = Table(
        "rules",
        [
            text("dashboard.col.rule", lang),
            text("dashboard.col.completed", lang),
            text("dashboard.col.within", lang),
            text("dashboard.col.late", lang),
            text("dashboard.col.lifted", lang),
            text("dashboard.col.percent", lang),
            text("dashboard.col.median-days", lang),
            text("dashboard.col.breaches", lang),
            text("dashboard.col.open", lang),
        ],
        numeric={1, 2, 3, 4, 5, 6, 7, 8},
        chart_kind="bar-horizontal",
    )
    labels, data = [], []
    for r in report["rules"]:
        total = r["total"]
        opened = total.get("open", {}).get("total", 0)
        if total.get("completed") == 0 and opened == 0:
            continue  # a rule with nothing in the period is noise
        label = text(f"rule.{r['rule']}", lang)
        pc = total.get("within_time_percent")
        table.rows.append(
            [
                Cell(r["rule"], label),
                *(
                    Cell(total.get(k), _number(total.get(k), lang))
                    for k in ("completed", "within_time", "late", "limit_lifted")
                ),
                Cell(pc, _percent(pc, lang)),
                Cell(total.get("median_days"), _number(total.get("median_days"), lang)),
                Cell(total.get("breaches"), _number(total.get("breaches"), lang)),
                Cell(opened, _number(opened, lang)),
            ]
        )
        labels.append(label)
        data.append(pc if isinstance(pc, (int, float)) else None)
    table.chart = {
        "labels": labels,
        "datasets": [{"label": text("dashboard.series.percent", lang), "data": data}],
    }
    return table


def _breach_link(breach: dict[str, Any], kind: str) -> str | None:
    """Where the viewer can act on a breach: an authority's case page; a board's own request
    (a board cannot open the LA's case); nothing nationally."""
    if kind == "school":
        return f"/cases/{breach['case_id']}"
    if kind == "authority" and breach.get("request_id"):
        return f"/health-requests/{breach['request_id']}"
    return None


def breaches_table(report: dict[str, Any], lang: str, kind: str = "school") -> Table:
    """Every clock that ran past its limit (met late, or still open and overdue), worst first.
    Insight names the cases to a scoped viewer only; nationally the list is empty."""
    table = Table(
        "breaches",
        [
            text("dashboard.col.case", lang),
            text("dashboard.col.rule", lang),
            text("dashboard.col.due", lang),
            text("dashboard.col.met-on", lang),
            text("dashboard.col.days-late", lang),
        ],
        numeric={4},
    )
    found = [(r["rule"], b) for r in report["rules"] for b in r["total"].get("breach_list") or ()]
    found.sort(key=lambda rb: (-rb[1]["days_late"], rb[1]["case_id"], rb[0]))
    for rule, b in found:
        table.rows.append(
            [
                Cell(b["case_id"], b["case_id"], href=_breach_link(b, kind)),
                Cell(rule, text(f"rule.{rule}", lang)),
                Cell(b["due"], long_date(b["due"], lang)),
                Cell(
                    b.get("met_on"),
                    long_date(b["met_on"], lang)
                    if b.get("met_on")
                    else text("dashboard.still-open", lang),
                ),
                Cell(b["days_late"], str(b["days_late"])),
            ]
        )
    table.chart = None  # a list of cases, not a figure to draw
    return table


def exceptions_table(report: dict[str, Any], lang: str) -> Table:
    """Why clocks were paused or their limit lifted (Regs reg 11(3); Code exceptions), per
    rule: the reasons behind late and lifted clocks."""
    table = Table(
        "exceptions",
        [
            text("dashboard.col.rule", lang),
            text("dashboard.col.change", lang),
            text("dashboard.col.reason", lang),
            text("dashboard.col.clocks", lang),
        ],
        numeric={3},
        chart_kind="bar-horizontal",
    )
    labels, data = [], []
    for r in report["rules"]:
        for key, count in sorted(r["total"].get("exceptions", {}).items()):
            change, _, reason = key.partition(":")
            rule_words = text(f"rule.{r['rule']}", lang)
            if not reason:
                reason_words = text("dashboard.not-recorded", lang)
            else:  # a reason code the console has no words for is shown as it is
                reason_words = (
                    text(f"reason.{reason}", lang) if has_text(f"reason.{reason}") else reason
                )
            table.rows.append(
                [
                    Cell(r["rule"], rule_words),
                    Cell(change, text(f"dashboard.change.{change}", lang)),
                    Cell(reason or None, reason_words),
                    Cell(count, _number(count, lang)),
                ]
            )
            labels.append(f"{rule_words}: {reason_words}")
            data.append(count if isinstance(count, int) else None)
    table.chart = {
        "labels": labels,
        "datasets": [{"label": text("dashboard.series.clocks", lang), "data": data}],
    }
    return table


def _column_words(name: str, column: str, lang: str) -> str:
    key = f"source.{column}" if name == "referrals" else f"dashboard.decided.{column}"
    return text(key, lang) if has_text(key) else column


def statutory_table(report: dict[str, Any], name: str, lang: str) -> Table:
    """One of insight's statutory tables (Act s.9 decisions; referrals by who referred), a
    row per authority and the scope's total; the chart draws the total row."""
    found = next((t for t in report["tables"] if t["name"] == STATUTORY[name]), None)
    columns: list[str] = found["columns"] if found else []
    table = Table(
        name,
        [
            text("dashboard.col.authority", lang),
            text("dashboard.col.total", lang),
            *(_column_words(name, c, lang) for c in columns),
        ],
        numeric=set(range(1, len(columns) + 2)),
    )
    if found is None:
        return table
    for row in [*found["groups"], found["total"]]:
        label = (
            text("dashboard.total", lang)
            if row["group"] == "all"
            else _group_label("authority", row["group"], lang)
        )
        cells = [row["cells"].get(c, 0) for c in columns]
        table.rows.append(
            [
                Cell(row["group"], label),
                Cell(row["total"], _number(row["total"], lang)),
                *(Cell(v, _number(v, lang)) for v in cells),
            ]
        )
    total = found["total"]["cells"]
    table.chart = {
        "labels": [_column_words(name, c, lang) for c in columns],
        "datasets": [
            {
                "label": text("dashboard.series.count", lang),
                "data": [v if isinstance(v, int) else None for v in map(total.get, columns)],
            }
        ],
    }
    return table


def statutory_of_export(text_csv: str) -> dict[str, Any]:
    """Insight's statutory CSV (`table,group,column,count`, `total` the row's total) read back
    into the report's shape."""
    tables: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in csv.DictReader(io.StringIO(text_csv.lstrip("\ufeff"))):
        table = tables.setdefault(
            line["table"], {"name": line["table"], "columns": [], "groups": [], "total": {}}
        )
        key = (line["table"], line["group"])
        if key not in rows:
            rows[key] = {"group": line["group"], "total": 0, "cells": {}}
            if line["group"] == "all":
                table["total"] = rows[key]
            else:
                table["groups"].append(rows[key])
        if line["column"] == "total":
            rows[key]["total"] = _value(line["count"])
        else:
            rows[key]["cells"][line["column"]] = _value(line["count"])
            if line["column"] not in table["columns"]:
                table["columns"].append(line["column"])
    return {"suppressed": True, "tables": list(tables.values())}


def scope_words(scope: str, lang: str) -> str:
    """`la:W06000015,la:W06000014` -> Caerdydd, Bro Morgannwg; `wales` -> Cymru."""
    names = []
    for part in scope.split(","):
        kind, _, code = part.partition(":")
        if kind == "wales":
            names.append(text("dashboard.wales", lang))
        else:
            names.append(_group_label("authority" if kind == "la" else kind, code, lang))
    return ", ".join(names)


def _kind(user: User) -> str:
    """What the third table groups by: an authority's schools, a board's authorities, the
    boards of Wales."""
    if user.has_role("wg-analyst") and "wales" in user.scopes:
        return "board"
    if user.has_role("board-aln-lead") and user.scoped("board"):
        return "authority"
    return "school"


def _months(value: str) -> int:
    try:
        months = int(value)
    except ValueError:
        return DEFAULT_MONTHS
    return months if months in PERIODS else DEFAULT_MONTHS


async def _report(
    request: Request, user: User, period: dict[str, str], group_by: str, *, export: bool
) -> dict[str, Any]:
    """Insight's timeliness report: as JSON for the page, or, for a download, from insight's
    own export, which is suppressed for every caller (a file leaves Llwybr: no cell under 5
    and none that would reveal one, no case named)."""
    services = services_of(request)
    params = {**period, "group_by": group_by}
    if not export:
        found: dict[str, Any] = await services.call(
            request, user, "insight", "GET", "/api/v1/insight/timeliness", params=params
        )
        return found
    answer = await services.document(
        request, user, "insight", "/api/v1/insight/exports/timeliness.csv", params
    )
    return report_of_export(answer.text, group_by)


def _value(cell: str) -> Value:
    if cell in ("", SUPPRESSED):
        return None if cell == "" else SUPPRESSED
    try:
        return int(cell)
    except ValueError:
        return float(cell)


def report_of_export(text_csv: str, group_by: str) -> dict[str, Any]:
    """Insight's timeliness CSV (one line per rule and group, `all` the rule's total) read
    back into the report's shape, by column name."""
    rules: dict[str, dict[str, Any]] = {}
    opened = ("total", "running", "paused", "lifted", "overdue")
    for line in csv.DictReader(io.StringIO(text_csv.lstrip("\ufeff"))):
        row: dict[str, Any] = {
            k: _value(line.get(k, ""))
            for k in ("completed", "within_time", "late", "limit_lifted", "breaches")
        }
        row["group"] = line["group"]
        row["within_time_percent"] = _value(line.get("within_time_percent", ""))
        row["median_days"] = _value(line.get("median_days", ""))
        row["open"] = {k: _value(line.get(f"open_{k}", "")) for k in opened}
        row["exceptions"] = {
            k: _value(v)
            for k, _, v in (p.partition("=") for p in line.get("exceptions", "").split("; ") if p)
        }
        rule = rules.setdefault(line["rule"], {"rule": line["rule"], "total": {}, "groups": []})
        if line["group"] == "all":
            rule["total"] = row
        else:
            rule["groups"].append(row)
    return {"group_by": group_by, "suppressed": True, "rules": list(rules.values())}


async def dashboard_tables(
    request: Request, user: User, months: int, *, only: str | None = None
) -> tuple[dict[str, Table], dict[str, Any]]:
    """The page's tables (`only`: the one table a download asks for, from the export)."""
    if not user.has_role(*MANAGER_ROLES):
        raise HTTPException(403)
    lang = page_language(request)
    today = today_in_wales()
    start = _months_back(today, months)
    period = {"from": start.isoformat(), "to": today.isoformat()}
    export = only is not None
    kind = _kind(user)
    tables: dict[str, Table] = {}
    about: dict[str, Any] = {"period_from": start, "period_to": today, "kind": kind}
    if only in (None, "months", "rules", "exceptions"):
        by_month = await _report(request, user, period, "month", export=export)
        tables["months"] = months_table(by_month, start, today, lang)
        tables["rules"] = rules_table(by_month, lang)
        tables["breaches"] = breaches_table(by_month, lang, kind)
        tables["exceptions"] = exceptions_table(by_month, lang)
        about.update(scope=by_month.get("scope", ""), suppressed=by_month["suppressed"])
    if only in (None, "groups"):
        by_group = await _report(request, user, period, kind, export=export)
        tables["groups"] = groups_table(by_group, kind, lang)
    if only in (None, *STATUTORY):
        figures = await _statutory(request, user, period, export=export)
        for name in STATUTORY:
            tables[name] = statutory_table(figures, name, lang)
    return tables, about


async def _statutory(
    request: Request, user: User, period: dict[str, str], *, export: bool
) -> dict[str, Any]:
    services = services_of(request)
    if not export:
        found: dict[str, Any] = await services.call(
            request, user, "insight", "GET", "/api/v1/insight/statutory", params=period
        )
        return found
    answer = await services.document(
        request, user, "insight", "/api/v1/insight/exports/statutory.csv", period
    )
    return statutory_of_export(answer.text)


@router.get("/dashboard")
async def dashboard(request: Request, user: SignedIn, months: str = "") -> Response:
    chosen = _months(months)
    tables, about = await dashboard_tables(request, user, chosen)
    return render(
        request,
        "dashboard.html",
        tables=tables,
        about=about,
        scope_words=scope_words(about["scope"], page_language(request)),
        months=chosen,
        periods=PERIODS,
        downloads=DOWNLOADS,
        query=urlencode({"months": chosen}),
    )


@router.get("/dashboard/{name}.csv")
async def dashboard_csv(request: Request, user: SignedIn, name: str, months: str = "") -> Response:
    """The table `name` laid out as on the page, in the page's language, as CSV (UTF-8 with a
    byte-order mark, so a spreadsheet reads the Welsh letters right); its figures are
    insight's export's, suppressed as every file leaving Llwybr is."""
    if name not in DOWNLOADS:
        raise HTTPException(404)
    chosen = _months(months)
    tables, about = await dashboard_tables(request, user, chosen, only=name)
    filename = f"llwybr-{name}-{about['period_from']}-{about['period_to']}.csv"
    return Response(
        "\ufeff" + tables[name].csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
