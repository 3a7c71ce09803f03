"""A party's window (the family's appeal, ETW Regs reg 10) past its date has closed: nobody is
late, so the figures count it neither open nor overdue nor a breach (docs/rules.md#windows),
while a duty past its date is overdue and a breach."""

from datetime import date

import pytest

from insight.models import ClockFact
from insight.timeliness import row

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 27)


def lapsed(rule: str) -> ClockFact:
    return ClockFact(
        id=f"c-{rule}", case_id=f"c-{rule}", rule=rule, start=date(2026, 9, 1),
        due=date(2026, 10, 27), state="running",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "overdue"),
    [("tribunal-appeal", 0), ("cease-reconsider-request", 0), ("la-decision", 1)],
)
def test_a_window_past_its_date_is_closed_and_a_duty_past_its_date_is_a_breach(
    rule: str, overdue: int
) -> None:
    counted = row(
        "all", [lapsed(rule)], today=TODAY, period_from=date(2026, 9, 1),
        period_to=TODAY, with_cases=True,
    )  # fmt: skip
    assert (counted.open.total, counted.open.overdue) == (overdue, overdue)
    assert counted.breaches == overdue and len(counted.breach_list or []) == overdue
