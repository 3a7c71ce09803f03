"""Helpers for the pure rules tests: a journey's state built by the rules themselves on the
calendars `load_case_setup` reads (the shipped ones), at a fixed moment in Wales."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from functools import cache

from llwybr_clock.wales import WALES
from llwybr_contracts.events import Event
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Refusal
from llwybr_workflows.journey import rules
from llwybr_workflows.journey.activities import load_case_setup
from llwybr_workflows.journey.contracts import CaseSetup, CaseSetupRequest, ClockRecord
from llwybr_workflows.journey.state import JourneyState

AUTHORITY = "W06000015"  # Cardiff (board W11000029)
START = date(2026, 11, 16)  # a Monday in term


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=WALES)


NOW = at(START)


@cache
def setup() -> CaseSetup:
    return asyncio.run(
        load_case_setup(CaseSetupRequest(authority=AUTHORITY, school_ref="sch-1", year=2026))
    )


def journey(
    *,
    state: CaseState = CaseState.DECISION_PENDING,
    body: DecidingBody = DecidingBody.SCHOOL,
    rule: str | None = None,
) -> JourneyInput:
    return JourneyInput(
        case_id="c-1",
        child_ref="ch-1",
        authority=AUTHORITY,
        received_on=START,
        state=state,
        deciding_body=body,
        deciding_authority=AUTHORITY if body == DecidingBody.LOCAL_AUTHORITY else None,
        school_ref="sch-1",
        first_rule=rule,
        clock_start=START if state == CaseState.DECISION_PENDING else None,
    )


def begun(
    *,
    state: CaseState = CaseState.DECISION_PENDING,
    body: DecidingBody = DecidingBody.SCHOOL,
) -> JourneyState:
    """A journey whose calendars are loaded (and its decision clock started, when pending)."""
    started = rules.start(journey(state=state, body=body), NOW, "case-c-1").state
    return rules.begin(started, setup(), NOW).state


def ok(out: rules.Outcome | Refusal) -> rules.Outcome:
    assert isinstance(out, rules.Outcome), out
    return out


def refused(out: rules.Outcome | Refusal) -> dict[str, object]:
    assert isinstance(out, Refusal), out
    return out.model_dump(mode="json")


def names(out: rules.Outcome) -> list[str]:
    return [e.event_name() for e in out.events]


def of(out: rules.Outcome, kind: type[Event]) -> list[Event]:
    return [e for e in out.events if isinstance(e, kind)]


def clock(s: JourneyState, key: str) -> ClockRecord:
    found = [c for c in s.clocks if c.key == key]
    assert found, f"no clock {key} in {[c.key for c in s.clocks]}"
    return found[0]


def later(days: int, hour: int = 10) -> datetime:
    return at(START + timedelta(days=days), hour)
