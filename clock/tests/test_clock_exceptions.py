"""Pauses, resumes, lifts and statuses (docs/rules.md s.1 pauses and met; s.2 exceptions)."""

from __future__ import annotations

import pytest
from clock_helpers import bank_holidays, d, lift, pause, resume, sir_enghraifft

from llwybr_clock import ExceptionRecordError, ReasonCode, Status, StatutoryClock

pytestmark = pytest.mark.unit


def school_decision(*exceptions):  # type: ignore[no-untyped-def]
    # Act s.11; Code: 35 school days; from 2026-11-10 due 2027-01-14 (examples/README.md)
    return StatutoryClock(
        rule="school-decision",
        start=d("2026-11-10"),
        calendar=sir_enghraifft(),
        exceptions=tuple(exceptions),
    )


def test_overlapping_pauses_merge() -> None:
    # 16-18 and 18-20 Nov are one pause of 16-20 Nov: five school days, as in the README
    clock = school_decision(pause("2026-11-18", "2026-11-20"), pause("2026-11-16", "2026-11-18"))
    assert clock.due() == d("2027-01-21")


def test_pause_covers_both_dates() -> None:
    assert school_decision(pause("2026-11-16", "2026-11-16")).due() == d("2027-01-15")


def test_pause_over_the_holidays_counts_for_nothing_extra() -> None:
    # only school days are counted, so pausing the Christmas holiday moves nothing
    assert school_decision(pause("2026-12-23", "2027-01-05")).due() == d("2027-01-14")


def test_pause_after_the_due_date_cannot_revive_a_passed_clock() -> None:
    clock = school_decision(pause("2027-01-15", "2027-01-29"))
    assert clock.due() == d("2027-01-14")
    assert clock.status(d("2027-01-18")) is Status.OVERDUE


def test_open_pause_hides_the_due_date() -> None:
    clock = school_decision(pause("2026-12-01", None))
    assert clock.due() is None
    assert clock.warnings() == ()
    assert clock.status(d("2026-12-10")) is Status.PAUSED
    # before the pause began, the clock was running towards its old due date
    assert clock.status(d("2026-11-20")) is Status.RUNNING
    assert clock.days_remaining(d("2026-12-10")) is None


def test_open_pause_after_the_due_date_changes_nothing() -> None:
    clock = school_decision(pause("2027-02-01", None))
    assert clock.due() == d("2027-01-14")
    assert clock.status(d("2027-02-03")) is Status.OVERDUE


def test_resume_closes_the_open_pause() -> None:
    # paused 16 Nov, running again 23 Nov: 16-20 Nov paused, as the README's example
    clock = school_decision(pause("2026-11-16", None), resume("2026-11-23"))
    assert clock.due() == d("2027-01-21")
    history = clock.history()
    assert [(h.due_before, h.due_after) for h in history] == [
        (d("2027-01-14"), None),
        (None, d("2027-01-21")),
    ]


def test_resume_without_an_open_pause_is_refused() -> None:
    with pytest.raises(ExceptionRecordError, match="no pause is open"):
        school_decision(resume("2026-11-23")).due()


def test_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ExceptionRecordError, match="before it starts"):
        pause("2026-11-20", "2026-11-16")


def test_lift_removes_the_date_but_keeps_history() -> None:
    clock = school_decision(pause("2026-11-16", "2026-11-20"), lift("2026-12-01"))
    assert clock.due() is None
    assert clock.status(d("2026-12-02")) is Status.LIFTED
    assert clock.status(d("2026-11-25")) is Status.RUNNING  # not yet lifted then
    assert [(h.exception.kind, h.due_before, h.due_after) for h in clock.history()] == [
        ("pause", d("2027-01-14"), d("2027-01-21")),
        ("lift", d("2027-01-21"), None),
    ]


def test_nhs_impractical_lifts_only_health_response() -> None:
    # Regs reg 11(3): the NHS body's own exception
    health = StatutoryClock(
        rule="health-response",
        start=d("2026-11-16"),
        calendar=bank_holidays(),
        exceptions=(lift("2026-12-01", ReasonCode.NHS_IMPRACTICAL),),
    )
    assert health.due() is None
    with pytest.raises(ExceptionRecordError, match="nhs-impractical"):
        school_decision(lift("2026-12-01", ReasonCode.NHS_IMPRACTICAL)).due()


def test_weeks_clock_pause_adds_calendar_days() -> None:
    # Regs reg 11: +42 from 2027-03-15 = Apr 26; 5 paused days -> May 1 (Sat) -> May 4
    clock = StatutoryClock(
        rule="health-response",
        start=d("2027-03-15"),
        calendar=bank_holidays(),
        exceptions=(pause("2027-03-22", "2027-03-26"),),
    )
    assert clock.due() == d("2027-05-04")
    assert "pause-conventions" in clock.assumed_conventions
    assert clock.assumed  # law, but an assumed convention produced the date


@pytest.mark.parametrize(
    ("on", "status"),
    [
        ("2026-11-10", Status.RUNNING),
        ("2026-12-15", Status.RUNNING),
        ("2026-12-16", Status.AT_RISK),  # the 10-school-day warning before 14 Jan
        ("2027-01-13", Status.AT_RISK),
        ("2027-01-14", Status.DUE_TODAY),
        ("2027-01-15", Status.OVERDUE),
    ],
)
def test_statuses_through_the_life_of_a_clock(on: str, status: Status) -> None:
    assert school_decision().status(d(on)) is status


def test_met_clock() -> None:
    clock = school_decision().met(d("2027-01-10"))
    assert clock.status(d("2027-01-09")) is Status.AT_RISK
    assert clock.status(d("2027-01-20")) is Status.MET
    assert clock.due() == d("2027-01-14")


def test_days_elapsed_and_remaining() -> None:
    clock = school_decision()
    assert clock.days_elapsed(d("2026-11-10")) == 0
    # Nov 11, 12, 16-20 counted (Nov 13 INSET)
    assert clock.days_elapsed(d("2026-11-20")) == 7
    assert clock.days_remaining(d("2026-11-20")) == 28
    assert clock.days_elapsed(d("2027-03-01")) == 35
    paused = school_decision(pause("2026-11-16", "2026-11-20"))
    assert paused.days_elapsed(d("2026-11-20")) == 2


def test_disagreement_resolution_only_for_appeals() -> None:
    with pytest.raises(ValueError, match="only tribunal-appeal"):
        StatutoryClock(rule="la-decision", start=d("2026-11-10"), disagreement_resolution=True)


# -- conventions settled later (docs/rules.md#pauses, #met, #warnings) -----------------------


def test_open_pause_takes_effect_on_its_from_date() -> None:
    # asked about a day before the pause opens, the clock answers as if it were not there
    clock = school_decision(pause("2026-12-01", None))
    assert clock.due(d("2026-11-30")) == d("2027-01-14")
    assert clock.warnings(d("2026-11-30")) == (d("2026-12-16"), d("2027-01-07"))
    assert clock.warnings(d("2026-11-30")) == school_decision().warnings()
    assert clock.days_remaining(d("2026-11-30")) is not None
    # from its FROM date on, the due date is unknown
    assert clock.due(d("2026-12-01")) is None
    assert clock.warnings(d("2026-12-01")) == ()
    assert clock.paused_from == d("2026-12-01")


def test_late_completion_is_met_and_counted_late() -> None:
    clock = school_decision().met(d("2027-01-20"))
    assert clock.status(d("2027-01-18")) is Status.OVERDUE
    assert clock.status(d("2027-01-20")) is Status.MET
    assert clock.due() == d("2027-01-14")
    assert clock.days_late() == 6
    assert school_decision().met(d("2027-01-14")).days_late() == 0
    assert school_decision().days_late() is None


def test_warnings_count_back_from_the_final_due_date() -> None:
    # health-response from 2027-03-15 paused 22-26 Mar: due rolls to Tue 4 May (see above);
    # 14 and 7 days back from 4 May, not from the unpaused 26 Apr
    clock = StatutoryClock(
        rule="health-response",
        start=d("2027-03-15"),
        calendar=bank_holidays(),
        exceptions=(pause("2027-03-22", "2027-03-26"),),
    )
    assert clock.warnings() == (d("2027-04-20"), d("2027-04-27"))
