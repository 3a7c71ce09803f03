"""Table tests: due dates worked out by hand (docs/rules.md s.1 and its worked examples).

Each case names the rule and its citation. "fixture" is the Sir Enghraifft calendar of
fixtures/; "bank" is Welsh bank holidays only (enough for the weeks and days rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from clock_helpers import bank_holidays, d, pause, sir_enghraifft

from llwybr_clock import CoverageError, StatutoryClock, rule_for

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Case:
    rule: str
    citation: str
    start: str
    due: str
    why: str
    calendar: str = "bank"  # "bank", "fixture" or "none"
    pauses: tuple[tuple[str, str], ...] = ()
    extended: bool = False

    def __str__(self) -> str:
        return f"{self.rule} ({self.citation}) from {self.start}: {self.why}"


CASES = [
    # --- examples/README.md ------------------------------------------------------------
    Case("school-decision", "Act s.11, s.4(6); Code", "2026-12-18", "2027-03-01",
         "Dec 21-22 count; holiday to Jan 5; Jan 6 INSET; February half-term skipped", "fixture"),
    Case("school-decision", "Act s.11, s.4(6); Code", "2026-11-10", "2027-01-14",
         "Nov 13 INSET skipped; Christmas holiday Dec 23 to Jan 5; Jan 6 INSET", "fixture"),
    Case("school-decision", "Act s.11, s.4(6); Code", "2026-11-10", "2027-01-21",
         "five paused school days add five school days", "fixture",
         (("2026-11-16", "2026-11-20"),)),
    Case("health-response", "Regs reg 11; Act ss.20-21", "2026-11-16", "2026-12-29",
         "+42 = Mon Dec 28, the Boxing Day substitute holiday"),
    Case("health-response", "Regs reg 11; Act ss.20-21", "2027-03-15", "2027-05-04",
         "+42 +5 paused = Sat May 1; Sun; Mon May 3 is a bank holiday", "bank",
         (("2027-03-22", "2027-03-26"),)),
    Case("la-decision", "Act s.13, s.18; Code", "2027-02-05", "2027-04-30", "+84, a Friday"),
    Case("tribunal-appeal", "ETW Regs regs 10, 14", "2026-11-03", "2026-12-30",
         "+56 = Tue Dec 29; first working day strictly after"),
    Case("tribunal-appeal", "ETW Regs regs 10, 14", "2026-11-03", "2027-02-24",
         "disagreement resolution: +112 = Tue Feb 23; strictly after", extended=True),
    Case("idp-review", "Act ss.23-24", "2027-03-31", "2028-03-30",
         "the day before the anniversary", "none"),
    # --- docs/rules.md s.1 worked examples ----------------------------------------------
    Case("idp-review", "Act ss.23-24", "2026-09-15", "2027-09-14",
         "day before the anniversary", "none"),
    # --- more, by hand ------------------------------------------------------------------
    Case("school-decision", "Act s.11, s.4(6); Code", "2026-10-01", "2026-11-27",
         "October half-term skipped, Nov 13 INSET skipped", "fixture"),
    Case("school-decision", "Act s.11, s.4(6); Code", "2026-09-02", "2026-10-21",
         "start on the first (INSET) day; day 1 is Sep 3", "fixture"),
    Case("school-decision", "Act s.11, s.4(6); Code", "2027-03-10", "2027-05-14",
         "Easter holiday Mar 26-Apr 9 (Good Friday, Easter Monday inside); May 3 bank holiday",
         "fixture"),
    Case("fei-takeover-response", "Regs reg 13", "2027-03-10", "2027-04-22",
         "20 term-time days across the Easter holiday", "fixture"),
    Case("la-decision", "Act s.13, s.18; Code", "2027-01-01", "2027-03-30",
         "+84 = Good Friday Mar 26; Sat, Sun, Easter Monday; Tue"),
    Case("la-reconsider-decision", "Act s.26; Code", "2027-03-15", "2027-05-04",
         "+49 = Mon May 3, early May bank holiday"),
    Case("la-reconsider-idp", "Act s.27", "2027-07-12", "2027-08-31",
         "+49 = Mon Aug 30, late August bank holiday"),
    Case("health-response", "Regs reg 11; Act ss.20-21", "2027-11-15", "2027-12-29",
         "+42 = Dec 27 and Dec 28, both substitute Christmas holidays"),
    Case("cease-reconsider-request", "Regs reg 12; Act s.32", "2027-01-31", "2027-03-01",
         "+28 = Sun Feb 28 (month end); Mon Mar 1"),
    Case("cease-reconsider-request", "Regs reg 12; Act s.32", "2028-01-31", "2028-02-28",
         "+28 = Mon Feb 28 in a leap year"),
    Case("la-not-necessary", "Regs reg 10", "2027-12-03", "2028-02-25",
         "+84 across Christmas and New Year = Fri Feb 25"),
    Case("detention-release", "Regs reg 18", "2028-02-05", "2028-05-02",
         "+84 across Feb 29 = Sat Apr 29; Sun; Mon May 1 bank holiday; Tue"),
    Case("idp-review", "Act ss.23-24", "2028-02-29", "2029-02-28",
         "start 29 February: 28 February next year", "none"),
    Case("idp-review", "Act ss.23-24", "2027-03-01", "2028-02-29",
         "day before the anniversary Mar 1 2028 is Feb 29", "none"),
    Case("idp-review", "Act ss.23-24", "2026-12-26", "2027-12-25",
         "no roll-over: due on Christmas Day", "none"),
    Case("tribunal-appeal", "ETW Regs regs 10, 14", "2027-01-29", "2027-03-30",
         "+56 = Good Friday; strictly after: Sat, Sun, Easter Monday, Tue"),
    Case("tribunal-appeal", "ETW Regs regs 10, 14", "2027-02-05", "2027-04-05",
         "+56 = Fri Apr 2, a working day; strictly after is Mon Apr 5"),
    Case("tribunal-review-application", "ETW Regs reg 53", "2026-11-27", "2026-12-25",
         "+28 = Christmas Day, no roll-over", "none"),
    Case("tribunal-review-application", "ETW Regs reg 53", "2028-02-01", "2028-02-29",
         "+28 in a leap year", "none"),
]  # fmt: skip


def _calendar(name: str):  # type: ignore[no-untyped-def]
    return {"bank": bank_holidays(), "fixture": sir_enghraifft(), "none": None}[name]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_due_date_worked_by_hand(case: Case) -> None:
    assert rule_for(case.rule).citation == case.citation
    clock = StatutoryClock(
        rule=case.rule,
        start=d(case.start),
        calendar=_calendar(case.calendar),
        exceptions=tuple(pause(a, b) for a, b in case.pauses),
        disagreement_resolution=case.extended,
    )
    assert clock.due() == d(case.due), case.why
    if case.rule != "idp-review":
        # the explanation's counted days add up to the limit in its counting unit
        assert clock.explain().counted == clock.spec.days_in_limit(clock.limit)
    assert clock.citation == case.citation


def test_school_decision_runs_off_the_fixture_calendar() -> None:
    # examples/README.md: only 22 school days left before the calendar ends (Jul 21 is INSET)
    clock = StatutoryClock(rule="school-decision", start=d("2027-06-20"), calendar=sir_enghraifft())
    with pytest.raises(CoverageError, match="no term dates for Sir Enghraifft after 2027-07-21"):
        clock.due()


def test_start_before_coverage_is_an_error() -> None:
    clock = StatutoryClock(rule="school-decision", start=d("2026-08-20"), calendar=sir_enghraifft())
    with pytest.raises(CoverageError, match="before 2026-09-02"):
        clock.due()


def test_extended_appeal_limit_is_16_weeks() -> None:
    clock = StatutoryClock(
        rule="tribunal-appeal", start=d("2026-11-03"), calendar=bank_holidays(),
        disagreement_resolution=True,
    )  # fmt: skip
    assert clock.limit == 16
    assert clock.explain().counted == 112


@pytest.mark.parametrize(
    ("rule", "start", "warnings"),
    [
        # 10 and 5 school days before Mon 1 Mar 2027 (February half-term between)
        ("school-decision", "2026-12-18", ("2027-02-08", "2027-02-22")),
        # 14 and 7 days before Tue 29 Dec 2026
        ("health-response", "2026-11-16", ("2026-12-15", "2026-12-22")),
        # 7 days before Fri 25 Dec 2026
        ("tribunal-review-application", "2026-11-27", ("2026-12-18",)),
        # 30 days before Thu 30 Mar 2028
        ("idp-review", "2027-03-31", ("2028-02-29",)),
        # 5 term-time days before Thu 22 Apr 2027 (Apr 15)
        ("fei-takeover-response", "2027-03-10", ("2027-04-15",)),
    ],
)
def test_warning_dates(rule: str, start: str, warnings: tuple[str, ...]) -> None:
    calendar = sir_enghraifft() if rule in ("school-decision", "fei-takeover-response") else None
    if rule == "health-response":
        calendar = bank_holidays()
    clock = StatutoryClock(rule=rule, start=d(start), calendar=calendar)
    assert clock.warnings() == tuple(d(w) for w in warnings)


@pytest.mark.parametrize(
    ("rule", "basis", "conventions", "assumed"),
    [
        ("school-decision", "code", ("school-days-counting",), True),
        ("la-decision", "code", ("roll-over-code-periods",), True),
        ("la-reconsider-idp", "assumed", ("roll-over-code-periods",), True),
        ("health-response", "law", (), False),
        ("fei-takeover-response", "law", ("school-days-counting",), True),
        ("tribunal-appeal", "law", (), False),
        ("idp-review", "law", (), False),
    ],
)
def test_basis_and_assumed_conventions(
    rule: str, basis: str, conventions: tuple[str, ...], assumed: bool
) -> None:
    clock = StatutoryClock(rule=rule, start=d("2026-11-10"), calendar=sir_enghraifft())
    assert clock.basis == basis
    assert clock.assumed_conventions == conventions
    assert clock.assumed is assumed


def test_explanation_names_the_skipped_days() -> None:
    clock = StatutoryClock(rule="school-decision", start=d("2026-11-10"), calendar=sir_enghraifft())
    notes = {n.day: n for n in clock.explain().days}
    assert notes[d("2026-11-13")].reason == "inset"
    assert notes[d("2026-11-14")].reason == "weekend"
    assert notes[d("2026-12-25")].reason == "bank-holiday"
    assert notes[d("2026-12-25")].detail == "Christmas Day"
    assert notes[d("2026-12-23")].reason == "holiday"
    assert clock.explain().counted == 35


def test_explanation_shows_roll_over() -> None:
    clock = StatutoryClock(rule="health-response", start=d("2026-11-16"), calendar=bank_holidays())
    explanation = clock.explain()
    last = explanation.days[-1]
    assert (last.day, last.counted, last.reason) == (d("2026-12-29"), False, "roll-over")
    assert explanation.days[-2].day == d("2026-12-28") and explanation.days[-2].counted
    assert any("Boxing Day (observed)" in step for step in explanation.steps)
    assert clock.explain().counted == 42
