"""Timeliness of every statutory clock, derived from `insight_clock_facts` (docs/rules.md, insight).

For a period (clocks met in it) and today (clocks still open): per rule and group, how many
clocks were met, how many within the statutory time (met on or before the due date the journey
held when the clock was met), the median and 90th percentile of calendar days taken, breaches and
how many days late they ran, the exception reasons that paused or lifted clocks, and the clocks
open today by status. A clock whose limit was lifted (e.g. Regs reg 11(3), Code para 20.x
exceptions) counts as `limit_lifted`, outside the within-time share. A party's window (an
appeal) past its date has closed: it is neither open nor a breach (docs/rules.md#windows).
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from insight.access import Viewer
from insight.models import ClockFact
from insight.projection import OPEN_STATES
from insight.suppression import HIDDEN, hidden_cells
from llwybr_contracts.vocabulary import RuleId, window_closed

NOT_RECORDED = "not-recorded"
TOTAL = "all"
Count = int | str  # a count, or "*" where suppressed
Stat = float | str | None


class GroupBy(StrEnum):
    AUTHORITY = "authority"
    SCHOOL = "school"
    FEI = "fei"
    BOARD = "board"
    MONTH = "month"
    ACADEMIC_YEAR = "academic_year"


def academic_year(on: date) -> str:
    """Welsh school years run 1 September to 31 August: 2025/26."""
    start = on.year if on.month >= 9 else on.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _when(c: ClockFact) -> date:
    return c.met_on or c.start  # a met clock by when it was met, an open one by its start


KEYS: dict[GroupBy, Callable[[ClockFact], str | None]] = {
    GroupBy.AUTHORITY: lambda c: c.authority,
    GroupBy.SCHOOL: lambda c: c.school_ref,
    GroupBy.FEI: lambda c: c.fei_ref,
    GroupBy.BOARD: lambda c: c.board,
    GroupBy.MONTH: lambda c: _when(c).strftime("%Y-%m"),
    GroupBy.ACADEMIC_YEAR: lambda c: academic_year(_when(c)),
}


class OpenClocks(BaseModel):
    total: Count = 0
    running: Count = 0
    paused: Count = 0
    lifted: Count = 0
    overdue: Count = 0


class Breach(BaseModel):
    case_id: str
    request_id: str | None = None
    due: date
    met_on: date | None = Field(None, description="none: still open")
    days_late: int


class Row(BaseModel):
    group: str
    completed: Count = 0
    within_time: Count = 0
    late: Count = 0
    limit_lifted: Count = 0
    within_time_percent: Stat = None
    median_days: Stat = None
    p90_days: Stat = None
    breaches: Count = 0
    median_breach_days: Stat = None
    exceptions: dict[str, Count] = Field(
        default_factory=dict, description="`paused:<reason>` / `lifted:<reason>` -> clocks"
    )
    open: OpenClocks = Field(default_factory=OpenClocks)
    breach_list: list[Breach] | None = Field(None, description="scoped views only")


class RuleTimeliness(BaseModel):
    rule: str
    total: Row
    groups: list[Row]


class TimelinessReport(BaseModel):
    scope: str
    as_of: date
    period_from: date
    period_to: date
    group_by: GroupBy
    suppressed: bool = Field(description="small numbers shown as *")
    rules: list[RuleTimeliness]


def p90(values: Sequence[int]) -> float:
    """The 90th percentile by the nearest-rank method (a value that occurred)."""
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def within_time(c: ClockFact) -> bool:
    return c.met_on is not None and c.met_due is not None and c.met_on <= c.met_due


def row(
    group: str,
    clocks: Iterable[ClockFact],
    *,
    today: date,
    period_from: date,
    period_to: date,
    with_cases: bool,
) -> Row:
    out = Row(group=group, breach_list=[] if with_cases else None)
    days: list[int] = []
    breaches: list[Breach] = []
    exceptions: dict[str, int] = defaultdict(int)
    n: dict[str, int] = defaultdict(int)
    for c in clocks:
        counted = False
        if c.state == "met" and c.met_on and period_from <= c.met_on <= period_to:
            counted = True
            n["completed"] += 1
            days.append((c.met_on - c.start).days)
            if c.met_due is None:
                n["limit_lifted"] += 1
            elif c.met_on <= c.met_due:
                n["within_time"] += 1
            else:
                n["late"] += 1
                breaches.append(_breach(c, c.met_on))
        elif c.state == "running" and window_closed(c.rule, c.due, today):
            continue  # a party's window that has closed: nobody is late (docs/rules.md#windows)
        elif c.state in OPEN_STATES:
            counted = True
            n["open"] += 1
            if c.state == "running" and c.due is not None and today > c.due:
                n["overdue"] += 1
                breaches.append(_breach(c, today))
            else:
                n[c.state] += 1
        if counted:
            for exception in dict.fromkeys(c.exceptions):
                exceptions[exception] += 1
    out.completed, out.within_time = n["completed"], n["within_time"]
    out.late, out.limit_lifted = n["late"], n["limit_lifted"]
    timed = n["within_time"] + n["late"]
    if timed:
        out.within_time_percent = round(100.0 * n["within_time"] / timed, 1)
    if days:
        out.median_days, out.p90_days = float(statistics.median(days)), p90(days)
    out.breaches = len(breaches)
    if breaches:
        out.median_breach_days = float(statistics.median(b.days_late for b in breaches))
    out.exceptions = dict(sorted(exceptions.items()))
    out.open = OpenClocks(
        total=n["open"],
        running=n["running"],
        paused=n["paused"],
        lifted=n["lifted"],
        overdue=n["overdue"],
    )
    if with_cases:
        out.breach_list = sorted(breaches, key=lambda b: (-b.days_late, b.case_id))
    return out


def _breach(c: ClockFact, until: date) -> Breach:
    assert c.due is not None or c.met_due is not None
    due = c.met_due if c.met_on else c.due
    assert due is not None
    return Breach(
        case_id=c.case_id,
        request_id=c.request_id,
        due=due,
        met_on=c.met_on,
        days_late=(until - due).days,
    )


def build(
    clocks: Iterable[ClockFact],
    *,
    rules: Sequence[str],
    group_by: GroupBy,
    today: date,
    period_from: date,
    period_to: date,
    scope: str,
    suppress: bool,
) -> TimelinessReport:
    """The report; `suppress`: the national view and exports (no case ids, small numbers *)."""
    by_rule: dict[str, dict[str, list[ClockFact]]] = {r: defaultdict(list) for r in rules}
    for c in clocks:
        if c.rule in by_rule:
            by_rule[c.rule][KEYS[group_by](c) or NOT_RECORDED].append(c)
    period = {"today": today, "period_from": period_from, "period_to": period_to}
    report = TimelinessReport(
        scope=scope,
        as_of=today,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        suppressed=suppress,
        rules=[],
    )
    for rule in rules:
        groups = by_rule[rule]
        every = [c for cs in groups.values() for c in cs]
        report.rules.append(
            RuleTimeliness(
                rule=rule,
                total=row(TOTAL, every, with_cases=not suppress, **period),
                groups=[
                    row(g, cs, with_cases=not suppress, **period)
                    for g, cs in sorted(groups.items())
                ],
            )
        )
    if suppress:
        for each in report.rules:
            suppress_rule(each)
    return report


# Cells of a row that add up: the first of each is the total of the others.
_ROW_SETS = (
    ("completed", "within_time", "late", "limit_lifted"),
    ("open.total", "open.running", "open.paused", "open.lifted", "open.overdue"),
    ("breaches", "late", "open.overdue"),
)
_COLUMNS = tuple(dict.fromkeys(c for s in _ROW_SETS for c in s))


def _get(r: Row, column: str) -> int:
    if column.startswith("open."):
        return int(getattr(r.open, column[5:]))
    if column.startswith("exceptions."):
        return int(r.exceptions.get(column[11:], 0))
    return int(getattr(r, column))


def suppress_rule(rule: RuleTimeliness) -> None:
    """Hide small and derivable counts of one rule's table (its groups and their total) and the
    statistics resting on them."""
    rows = [rule.total, *rule.groups]
    reasons = sorted({k for r in rows for k in r.exceptions})
    columns = (*_COLUMNS, *(f"exceptions.{k}" for k in reasons))
    cells = {(i, c): _get(r, c) for i, r in enumerate(rows) for c in columns}
    sets: list[list[tuple[int, str]]] = [
        [(i, c) for c in s] for i in range(len(rows)) for s in _ROW_SETS
    ]
    sets += [[(i, c) for i in range(len(rows))] for c in columns]  # row 0 is the total
    hidden = hidden_cells(cells, sets)
    for i, r in enumerate(rows):
        is_hidden = {c for (j, c) in hidden if j == i}
        for c in columns:
            value: Count = HIDDEN if c in is_hidden else cells[(i, c)]
            if c.startswith("open."):
                setattr(r.open, c[5:], value)
            elif c.startswith("exceptions."):
                r.exceptions[c[11:]] = value
            else:
                setattr(r, c, value)
        if {"within_time", "late"} & is_hidden:
            r.within_time_percent = HIDDEN
        if "completed" in is_hidden:
            r.median_days = r.p90_days = HIDDEN
        if "breaches" in is_hidden:
            r.median_breach_days = HIDDEN
        r.breach_list = None


async def load(
    session: AsyncSession, viewer: Viewer, *, authority: str | None, rule: str | None
) -> list[ClockFact]:
    query = select(ClockFact)
    if viewer.kind == "la":
        query = query.where(col(ClockFact.authority).in_(sorted(viewer.codes)))
    elif viewer.kind == "board":
        query = query.where(col(ClockFact.board).in_(sorted(viewer.codes)))
    if authority:
        query = query.where(col(ClockFact.authority) == authority)
    if rule:
        query = query.where(col(ClockFact.rule) == rule)
    return list((await session.exec(query)).all())


def all_rules(rule: str | None) -> list[str]:
    return [rule] if rule else [r.value for r in RuleId]
