"""Statutory figures from `insight_case_facts`, per authority with a Wales (or scope) total.

Plans by maintaining body (Act s.11 school or FEI, s.14 and s.19 LA), referrals by source,
decisions ALN / no ALN, reconsiderations (s.26, s.27), disagreements (s.68) and Tribunal
appeals (s.70) with their outcomes. Plans by year group and by language of education, and
Welsh-medium provision against demand (learners in Welsh-medium or bilingual education with a
plan, and the items of their plans to be provided in Welsh, Act s.10), from the codes version 2
of the referral's and the idp service's events carry; a case whose events are version 1 counts
as `unknown` (codes) or `provision-not-recorded` (counts).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import pairwise

from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from insight.access import Viewer
from insight.models import CaseFact
from insight.suppression import HIDDEN, hidden_cells
from insight.timeliness import NOT_RECORDED, TOTAL, Count
from llwybr_contracts.learner_codes import (
    WELSH_MEDIUM_DEMAND,
    LanguageOfEducation,
    YearGroup,
    year_group_after,
)

MAINTAINERS = ("school", "la", "fei", NOT_RECORDED)
# The referral service's sources (s.64 health body notices included as `health-body`).
SOURCES = (
    "parent",
    "young-person",
    "school",
    "early-years-setting",
    "health-body",
    "social-services",
    "local-authority",
    "other",
)


class TableRow(BaseModel):
    group: str
    total: Count = 0
    cells: dict[str, Count] = Field(default_factory=dict)


class Table(BaseModel):
    name: str
    meaning: str
    columns: list[str]
    total: TableRow
    groups: list[TableRow]


class StatutoryReport(BaseModel):
    scope: str
    as_of: date
    period_from: date
    period_to: date
    suppressed: bool
    tables: list[Table]


def _in(day: str | date | None, start: date, end: date) -> bool:
    if day is None:
        return False
    on = day if isinstance(day, date) else date.fromisoformat(day)
    return start <= on <= end


def academic_years_between(earlier: date, later: date) -> int:
    """How many 1 Septembers fall after `earlier`, up to and including `later`."""

    def septembers(day: date) -> int:  # counted from year 0
        return day.year + (day >= date(day.year, 9, 1))

    return max(0, septembers(later) - septembers(earlier))


def year_group_today(c: CaseFact, today: date) -> str:
    """The year group given at referral, moved up one each 1 September since (a learner kept
    down or moved up a year is not known to the events)."""
    if c.year_group is None:
        return YearGroup.UNKNOWN.value
    years = academic_years_between(c.year_group_on, today) if c.year_group_on else 0
    return year_group_after(c.year_group, years)


def _welsh_provision(c: CaseFact) -> list[str]:
    """Demand (a learner in Welsh-medium or bilingual education with a plan) and supply (the
    items of the plan to be provided in Welsh)."""
    if c.language_of_education not in WELSH_MEDIUM_DEMAND:
        return []
    if c.provision_items is None or c.provision_items_in_welsh is None:
        return ["learners", "learners-provision-not-recorded"]
    welsh = c.provision_items_in_welsh
    kind = "learners-some-provision-in-welsh" if welsh else "learners-no-provision-in-welsh"
    return ["learners", kind, *["items"] * c.provision_items, *["items-in-welsh"] * welsh]


def _values(c: CaseFact, name: str, *, today: date, start: date, end: date) -> list[str]:
    """The column(s) a case counts in for table `name` (one entry per occurrence)."""
    if name in (*PLAN_TABLES, "welsh_medium_provision"):
        current = c.idp_issued_on is not None and c.idp_issued_on <= today
        current = current and (c.idp_ceased_on is None or c.idp_ceased_on > today)
        if not current:
            return []
        if name == "idps_by_maintainer":
            return [c.idp_maintainer or NOT_RECORDED]
        if name == "idps_by_year_group":
            return [year_group_today(c, today)]
        if name == "idps_by_language":
            return [c.language_of_education or LanguageOfEducation.UNKNOWN.value]
        return _welsh_provision(c)
    if name == "referrals_by_source":
        if not _in(c.received_on, start, end):
            return []
        source = c.referral_source or "other"
        return [source if source in SOURCES else "other"]
    if name == "decisions":
        if c.has_aln is None or not _in(c.decided_on, start, end):
            return []
        return ["aln" if c.has_aln else "no-aln"]
    if name == "reconsiderations":
        requested = ["requested" for d in c.reconsiderations if _in(d, start, end)]
        decided = ["decided" for d in c.reconsiderations_decided if _in(d, start, end)]
        return requested + decided + _outcomes(c.reconsideration_outcomes, "decided", start, end)
    if name == "disagreements":
        raised = ["raised" for d in c.disagreements if _in(d, start, end)]
        return raised + _outcomes(c.disagreement_outcomes, "concluded", start, end)
    if name == "appeals":
        lodged = ["lodged" for d in c.appeals_lodged if _in(d, start, end)]
        return lodged + _outcomes(c.appeal_outcomes, "decided", start, end)
    raise KeyError(name)


def _outcomes(ended: list[str], verb: str, start: date, end: date) -> list[str]:
    """`<verb>:<outcome>` for each `<date>|<outcome>` in the period."""
    return [f"{verb}:{o.split('|', 1)[1]}" for o in ended if _in(o.split("|", 1)[0], start, end)]


PLAN_TABLES = ("idps_by_maintainer", "idps_by_year_group", "idps_by_language")
WELSH_PROVISION = (
    "learners",
    "learners-some-provision-in-welsh",
    "learners-no-provision-in-welsh",
    "learners-provision-not-recorded",
    "items",
    "items-in-welsh",
)
# A table whose columns are not one breakdown: its row total is one column, and these are the
# columns that add up to it (the others count another unit: provision items).
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "welsh_medium_provision": ("learners", WELSH_PROVISION[1:4]),
}

TABLES: dict[str, tuple[str, Sequence[str]]] = {
    "idps_by_maintainer": ("learners with a current IDP today, by maintaining body", MAINTAINERS),
    "idps_by_year_group": (
        "learners with a current IDP today, by year group (as at referral, moved up each "
        "1 September)",
        [y.value for y in YearGroup],
    ),
    "idps_by_language": (
        "learners with a current IDP today, by language of education",
        [language.value for language in LanguageOfEducation],
    ),
    "welsh_medium_provision": (
        "learners in Welsh-medium or bilingual education with a current IDP today, and the "
        "items of provision in their plans to be provided in Welsh (Act s.10)",
        WELSH_PROVISION,
    ),
    "referrals_by_source": ("referrals received in the period, by who referred", SOURCES),
    "decisions": ("decisions whether a learner has ALN made in the period", ("aln", "no-aln")),
    "reconsiderations": (
        "LA reconsiderations requested, and decided by outcome (the learner has ALN or not), "
        "in the period (s.26, s.27)",
        ("requested", "decided", "decided:aln", "decided:no-aln"),
    ),
    "disagreements": (
        "disagreements raised, and concluded by outcome, in the period (s.68)",
        (
            "raised",
            "concluded:resolved",
            "concluded:not-resolved",
            "concluded:withdrawn",
        ),
    ),
    "appeals": ("Tribunal appeals lodged and decided in the period, by outcome (s.70)", ()),
}


def build(
    cases: Iterable[CaseFact],
    *,
    today: date,
    period_from: date,
    period_to: date,
    scope: str,
    suppress: bool,
) -> StatutoryReport:
    cases = list(cases)
    report = StatutoryReport(
        scope=scope,
        as_of=today,
        period_from=period_from,
        period_to=period_to,
        suppressed=suppress,
        tables=[],
    )
    span = {"today": today, "start": period_from, "end": period_to}
    for name, (meaning, fixed) in TABLES.items():
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for c in cases:
            for value in _values(c, name, **span):
                counts[c.authority or NOT_RECORDED][value] += 1
        columns = list(fixed) or sorted({v for row in counts.values() for v in row})
        groups = [_row(g, counts[g], columns, name) for g in sorted(counts)]
        every: dict[str, int] = defaultdict(int)
        for row in counts.values():
            for k, v in row.items():
                every[k] += v
        table = Table(
            name=name,
            meaning=meaning,
            columns=columns,
            total=_row(TOTAL, every, columns, name),
            groups=groups,
        )
        report.tables.append(table)
    if suppress:
        suppress_tables(report.tables)
    return report


def _row(group: str, counts: dict[str, int], columns: Sequence[str], name: str) -> TableRow:
    cells: dict[str, Count] = {c: counts.get(c, 0) for c in columns}
    # Appeals, reconsiderations and disagreements count those begun and those ended apart: the
    # row total is the first alone.
    total = sum(v for k, v in counts.items() if not _ended(k))
    if name in PARTS:
        total = counts.get(PARTS[name][0], 0)
    return TableRow(group=group, total=total, cells=cells)


Cell = tuple[str, str, str]  # (table, group, column); column "total" is the row total


def _ended(column: str) -> bool:
    """A column of what ended in the period (an appeal decided, a disagreement concluded), not
    part of the row total of what began."""
    return column.startswith(("decided", "concluded"))


def _sets(table: Table) -> list[list[Cell]]:
    """The cells of one table that add up: each row's breakdown with its total, each column
    across the groups with the total row."""
    rows = [r.group for r in (table.total, *table.groups)]
    keys = ["total", *table.columns]
    additive = ["total", *(c for c in table.columns if not _ended(c))]
    sets = [[(table.name, g, k) for k in additive] for g in rows]
    if table.name in PARTS:
        whole, parts = PARTS[table.name]
        # The row total is the `whole` column itself: both are one figure, hidden together.
        sets = [[(table.name, g, k) for k in ("total", *parts)] for g in rows]
        sets += [[(table.name, g, "total"), (table.name, g, whole)] for g in rows]
    # Outcomes add up to the appeals decided (disagreements concluded), which is not shown:
    # by column only. A reconsideration's outcomes add up to its `decided`, which is.
    sets += [[(table.name, g, k) for g in rows] for k in keys]
    outcomes = [c for c in table.columns if c.startswith("decided:")]
    if "decided" in table.columns and outcomes:
        sets += [[(table.name, g, k) for k in ("decided", *outcomes)] for g in rows]
    return sets


def _links(tables: Sequence[Table]) -> list[list[Cell]]:
    """Figures one table shares with another, so that neither gives away what the other hid:
    every plan table's row total is the same learners; Welsh-medium provision's learners are
    the welsh-medium and bilingual cells of plans by language."""
    named = {t.name: t for t in tables}
    groups = {r.group for t in tables for r in (t.total, *t.groups)}
    sets: list[list[Cell]] = []
    for g in sorted(groups):
        plans = [(name, g, "total") for name in PLAN_TABLES if name in named]
        sets += [[a, b] for a, b in pairwise(plans)]
        if "welsh_medium_provision" in named and "idps_by_language" in named:
            demand = [("idps_by_language", g, lang.value) for lang in WELSH_MEDIUM_DEMAND]
            sets.append([("welsh_medium_provision", g, "learners"), *demand])
    return sets


def suppress_tables(tables: Sequence[Table]) -> None:
    """Hide small and derivable counts, the tables together: a figure hidden in one table is
    not left to be worked out from another."""
    cells: dict[Cell, int] = {}
    for table in tables:
        for r in (table.total, *table.groups):
            cells[(table.name, r.group, "total")] = int(r.total)
            for k in table.columns:
                cells[(table.name, r.group, k)] = int(r.cells[k])
    sets = [s for table in tables for s in _sets(table)] + _links(tables)
    hidden = hidden_cells(cells, sets)
    for table in tables:
        for r in (table.total, *table.groups):
            if (table.name, r.group, "total") in hidden:
                r.total = HIDDEN
            for k in table.columns:
                if (table.name, r.group, k) in hidden:
                    r.cells[k] = HIDDEN


async def load(session: AsyncSession, viewer: Viewer, *, authority: str | None) -> list[CaseFact]:
    query = select(CaseFact)
    if viewer.kind == "la":
        query = query.where(col(CaseFact.authority).in_(sorted(viewer.codes)))
    elif viewer.kind == "board":
        query = query.where(col(CaseFact.board).in_(sorted(viewer.codes)))
    if authority:
        query = query.where(col(CaseFact.authority) == authority)
    return list((await session.exec(query)).all())
