"""A generated data set: clocks with known outcomes, published as the journey would, and the
hand count of what the figures must say (worked out from the plan, not from insight's code)."""

import random
import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from llwybr_contracts.events import (
    CaseClosed,
    CaseOpened,
    ClockChanged,
    ClockMet,
    ClockStarted,
    DeadlineBreached,
    Event,
    HealthInputWithdrawn,
)
from llwybr_contracts.states import CaseState

TODAY = date(2026, 6, 30)
AUTHORITIES = ("W06000015", "W06000011", "W06000022")  # Cardiff, Swansea, Newport
SCHOOLS = ("6812345", "6700001", "6800002")
RULES = ("school-decision", "la-decision", "health-response")
OUTCOMES = ("within", "late", "paused-within", "lifted", "open", "overdue", "closed", "paused-open")


@dataclass(frozen=True)
class Planned:
    case_id: str
    authority: str
    school: str
    rule: str
    outcome: str
    start: date
    due: date
    met_on: date | None


def plan(n: int, seed: int = 16) -> list[Planned]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rule = rng.choice(RULES)
        outcome = rng.choice(OUTCOMES)
        start = date(2025, 9, 1) + timedelta(days=rng.randrange(0, 200))
        due = start + timedelta(days=42)
        met_on = {
            "within": start + timedelta(days=rng.randrange(1, 43)),
            "paused-within": start + timedelta(days=rng.randrange(1, 43)),
            "late": due + timedelta(days=rng.randrange(1, 30)),
            "lifted": start + timedelta(days=rng.randrange(1, 90)),
        }.get(outcome)
        if outcome == "open":  # open and not yet due
            start = TODAY - timedelta(days=rng.randrange(0, 30))
            due = start + timedelta(days=42)
        out.append(
            Planned(
                case_id=f"case-{i:03d}",
                authority=rng.choice(AUTHORITIES),
                school=rng.choice(SCHOOLS),
                rule=rule,
                outcome=outcome,
                start=start,
                due=due,
                met_on=met_on,
            )
        )
    return out


def events(p: Planned) -> list[Event]:
    request = "h-" + p.case_id if p.rule == "health-response" else None
    clock = {"case_id": p.case_id, "rule": p.rule, "request_id": request}
    out: list[Event] = [
        CaseOpened(
            case_id=p.case_id,
            child_ref="c",
            authority=p.authority,
            received_on=p.start,
            state=CaseState.DECISION_PENDING,
            deciding_body="school",
            school_ref=p.school,
        ),
        ClockStarted(**clock, start=p.start, due=p.due),
    ]
    if p.outcome in ("paused-within", "paused-open"):
        out.append(ClockChanged(**clock, due=None, change="paused", reason="child-absent"))
        if p.outcome == "paused-within":
            out.append(ClockChanged(**clock, due=p.due, change="resumed"))
    if p.outcome == "lifted":
        out.append(ClockChanged(**clock, due=None, change="lifted", reason="impractical"))
    if p.outcome in ("late", "overdue", "closed"):
        out.append(
            DeadlineBreached(
                **clock, due=p.due, alert_role="la-manager", alert_scope=f"la:{p.authority}"
            )
        )
    if p.met_on is not None:
        due = None if p.outcome == "lifted" else p.due
        out.append(ClockMet(**clock, due=due, met_on=p.met_on))
    if p.outcome == "closed":
        if request:
            out.append(
                HealthInputWithdrawn(case_id=p.case_id, request_id=request, withdrawn_on=p.due)
            )
        out.append(CaseClosed(case_id=p.case_id, reason="moved-away", closed_on=p.due))
    return out


def hand_count(plans: list[Planned], rule: str, authority: str | None = None) -> dict[str, object]:
    """What the timeliness figures must say for one rule (and authority), counted by hand."""
    mine = [p for p in plans if p.rule == rule and authority in (None, p.authority)]
    met = [p for p in mine if p.met_on is not None]
    within = [p for p in met if p.outcome in ("within", "paused-within")]
    late = [p for p in met if p.outcome == "late"]
    days = sorted((p.met_on - p.start).days for p in met if p.met_on)
    overdue = [p for p in mine if p.outcome == "overdue"]
    late_days = [(p.met_on - p.due).days for p in late if p.met_on]
    late_days += [(TODAY - p.due).days for p in overdue]
    return {
        "completed": len(met),
        "within_time": len(within),
        "late": len(late),
        "limit_lifted": sum(1 for p in met if p.outcome == "lifted"),
        "within_time_percent": (
            round(100.0 * len(within) / (len(within) + len(late)), 1) if within or late else None
        ),
        "median_days": float(statistics.median(days)) if days else None,
        "p90_days": float(days[-(-len(days) * 9 // 10) - 1]) if days else None,
        "breaches": len(late) + len(overdue),
        "median_breach_days": float(statistics.median(late_days)) if late_days else None,
        "open": {
            "total": sum(1 for p in mine if p.outcome in ("open", "overdue", "paused-open")),
            "running": sum(1 for p in mine if p.outcome == "open"),
            "paused": sum(1 for p in mine if p.outcome == "paused-open"),
            "lifted": 0,
            "overdue": len(overdue),
        },
    }
