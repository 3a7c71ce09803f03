"""The first clock as a new journey counts it: the routed rule from the clock's start on the
calendar that rule counts on; nothing while consent is pending; a calendar that does not reach
is an error, never a weekday count (docs/rules.md, Coverage)."""

from datetime import date

import pytest

from llwybr_clock import CoverageError, StatutoryClock
from llwybr_clock.calendar import bank_holiday_snapshot, build_snapshot
from llwybr_clock.csv_import import is_illustrative, parse_csv
from llwybr_clock.first_clock import calendar_for, first_clock
from llwybr_clock.shipped import find_authority, shipped_calendar_text
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody

pytestmark = pytest.mark.unit

CARDIFF = find_authority("W06000015")
TEXT = shipped_calendar_text(CARDIFF)
SCHOOL = build_snapshot(parse_csv(TEXT), label="Cardiff", authority=CARDIFF.ons_code,
                        illustrative=is_illustrative(TEXT))  # fmt: skip
BANK = bank_holiday_snapshot(2025, 2030)


def journey(
    rule: str | None, state: CaseState = CaseState.DECISION_PENDING, **kw: object
) -> JourneyInput:
    return JourneyInput(
        case_id="c", child_ref="ch", authority=CARDIFF.ons_code, received_on=date(2026, 11, 20),
        state=state, deciding_body=DecidingBody.LOCAL_AUTHORITY, first_rule=rule, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_each_rule_counts_on_its_own_calendar() -> None:
    assert calendar_for("school-decision", school=SCHOOL, bank=BANK) is SCHOOL
    assert calendar_for("la-decision", school=SCHOOL, bank=BANK) is BANK
    assert calendar_for("idp-review", school=SCHOOL, bank=BANK) is None


def test_the_clock_runs_from_consent_when_there_is_one() -> None:
    counted = first_clock(
        journey("la-not-necessary", clock_start=date(2026, 11, 18)), school=SCHOOL, bank=BANK
    )
    assert counted is not None and counted.start == date(2026, 11, 18)
    expected = StatutoryClock(rule="la-not-necessary", start=date(2026, 11, 18), calendar=BANK)
    assert (counted.due, counted.assumed) == (expected.due(), expected.assumed)
    assert counted.calendar_version == BANK.version


def test_no_clock_while_consent_is_pending_or_unrouted() -> None:
    assert (
        first_clock(journey("la-decision", CaseState.CONSENT_PENDING), school=SCHOOL, bank=BANK)
        is None
    )
    assert first_clock(journey(None), school=SCHOOL, bank=BANK) is None


def test_term_dates_that_do_not_reach_are_an_error_not_weekdays() -> None:
    early = journey("school-decision", clock_start=date(2025, 6, 2))
    with pytest.raises(CoverageError):
        first_clock(early, school=SCHOOL, bank=BANK)
