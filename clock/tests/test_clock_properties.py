"""Property tests (hypothesis) for the clock: invariants the counting conventions of docs/rules.md s.1 promise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clock_helpers import RECORDED, bank_holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from llwybr_clock import RULES, Pause, ReasonCode, StatutoryClock, Unit
from llwybr_clock.calendar import CalendarEntry, Kind, build_snapshot
from llwybr_clock.csv_import import parse_csv
from llwybr_clock.shipped import find_authority, shipped_calendar_text

pytestmark = pytest.mark.unit

FAST = settings(max_examples=100, deadline=None)
WEEKS_RULES = [r.id for r in RULES.values() if r.unit is Unit.WEEKS]
CARDIFF = parse_csv(shipped_calendar_text(find_authority("Cardiff")))
CARDIFF_SNAPSHOT = build_snapshot(CARDIFF, label="Cardiff", authority="W06000015")
CARDIFF_BANK_HOLIDAYS = {
    date.fromordinal(o): name for o, name in CARDIFF_SNAPSHOT.bank_holidays
}  # the same holidays, so each rebuilt snapshot differs only by the added closure
BANK = bank_holidays()

starts = st.dates(date(2025, 1, 1), date(2030, 6, 30))
school_starts = st.dates(date(2025, 9, 1), date(2028, 12, 31))


@FAST
@given(rule=st.sampled_from(WEEKS_RULES), start=starts, extended=st.booleans())
def test_weeks_rule_due_date_is_a_working_day(rule: str, start: date, extended: bool) -> None:
    clock = StatutoryClock(
        rule=rule,
        start=start,
        calendar=BANK,
        disagreement_resolution=extended and rule == "tribunal-appeal",
    )
    due = clock.due()
    assert due is not None and due > start
    assert BANK.is_working_day(due.toordinal())


@FAST
@given(start=school_starts, closed=st.dates(date(2025, 9, 1), date(2029, 7, 1)))
def test_adding_a_holiday_never_makes_a_due_date_earlier(start: date, closed: date) -> None:
    for rule in ("school-decision", "fei-takeover-response"):
        before = StatutoryClock(rule=rule, start=start, calendar=CARDIFF_SNAPSHOT).due()
        snowy = build_snapshot(
            [*CARDIFF, CalendarEntry(closed, closed, Kind.CLOSURE)],
            label="Cardiff",
            authority="W06000015",
            bank_holidays=CARDIFF_BANK_HOLIDAYS,
        )
        after = StatutoryClock(rule=rule, start=start, calendar=snowy).due()
        assert before is not None and after is not None
        assert after >= before


@FAST
@given(start=school_starts, offset=st.integers(0, 60), length=st.integers(0, 30))
def test_pausing_n_school_days_moves_the_due_date_n_school_days(
    start: date, offset: int, length: int
) -> None:
    snap = CARDIFF_SNAPSHOT
    first = start + timedelta(days=1 + offset)
    last = first + timedelta(days=length)
    base = StatutoryClock(rule="school-decision", start=start, calendar=snap)
    due = base.due()
    assert due is not None
    paused = base.with_exception(Pause(first, last, ReasonCode.LEARNER_ABSENT, "o", RECORDED))
    moved = paused.due()
    assert moved is not None
    if first > due:
        n = 0  # a pause after the due date cannot revive the clock
    else:
        n = snap.school_days_between(first.toordinal(), last.toordinal())
    assert snap.school_days_between(due.toordinal() + 1, moved.toordinal()) == n


@FAST
@given(rule=st.sampled_from(sorted(RULES)), start=school_starts)
def test_explanation_counted_days_add_up_to_the_limit(rule: str, start: date) -> None:
    calendar = CARDIFF_SNAPSHOT if RULES[rule].needs_school_calendar else BANK
    clock = StatutoryClock(rule=rule, start=start, calendar=calendar)
    explanation = clock.explain()
    spec = clock.spec
    if spec.unit is Unit.MONTHS:
        assert explanation.counted in (365, 366) or explanation.counted == 364
    else:
        assert explanation.counted == spec.days_in_limit(clock.limit)
    assert sum(1 for n in explanation.days if n.counted) == explanation.counted
    assert explanation.days[-1].day == clock.due()
