"""Two things the figures must get right. A party's window (the family's appeal, ETW Regs reg
10) past its date has closed: nobody is late, so it is neither open nor overdue nor a breach
(docs/rules.md#windows), while a duty past its date is overdue and a breach. And a case an FEI
decides (Act s.11) is grouped under that college, named by CaseRouted version 2."""

from datetime import UTC, date, datetime, timedelta

import pytest

from insight.models import ClockFact, InsightEvent
from insight.projection import project
from insight.timeliness import row
from llwybr_contracts.events import CaseRoutedV2, ClockStarted, Event
from llwybr_contracts.states import DecidingBody

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


def test_an_fei_decided_case_is_grouped_under_its_college() -> None:
    # CaseRouted version 2 names the deciding FEI (Act s.11): its clocks group by that UKPRN
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    events: list[Event] = [
        CaseRoutedV2(case_id="c1", deciding_body=DecidingBody.FEI, reason="fei-student",
                     institution="10099001"),
        ClockStarted(case_id="c1", rule="fei-decision", start=date(2026, 11, 2),
                     due=date(2026, 12, 21)),
    ]  # fmt: skip
    kept = [
        InsightEvent(
            event_id=f"e{i}",
            topic=e.topic,
            type=e.cloudevent_type(),
            name=e.event_name(),
            subject="c1",
            time=at + timedelta(seconds=i),
            data=e.model_dump(mode="json"),
            received_at=at,
        )
        for i, e in enumerate(events)
    ]
    [clock] = project("c1", kept).clocks
    assert (clock.rule, clock.fei_ref) == ("fei-decision", "10099001")
