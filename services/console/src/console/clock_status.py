"""A statutory clock's status as a person reads it, from its due date and the journey's own
status: the GOV.UK tag on the worktray and the case page."""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from llwybr_contracts.vocabulary import window_closed


class ClockTag(StrEnum):
    RUNNING = "running"
    AT_RISK = "at-risk"
    DUE_TODAY = "due-today"
    OVERDUE = "overdue"
    PAUSED = "paused"
    MET = "met"
    LIFTED = "lifted"
    CLOSED = "closed"


TAG_CLASSES = {
    ClockTag.RUNNING: "govuk-tag--blue",
    ClockTag.AT_RISK: "govuk-tag--orange",
    ClockTag.DUE_TODAY: "govuk-tag--yellow",
    ClockTag.OVERDUE: "govuk-tag--red",
    ClockTag.PAUSED: "govuk-tag--grey",
    ClockTag.MET: "govuk-tag--green",
    ClockTag.LIFTED: "govuk-tag--purple",
    ClockTag.CLOSED: "govuk-tag--grey",
}


def clock_tag(
    status: str,
    due: date | None,
    today: date,
    *,
    rule: str,
    warnings: Iterable[date] = (),
    at_risk: bool = False,
) -> ClockTag:
    """`status` is the journey's (running, paused, lifted, met). A running clock is at risk
    once the first of its rule's warning days has come (the journey warns on those days,
    `DeadlineAtRisk`), or when the service says it has warned (`at_risk`). A party's window
    past its date has closed: nobody is late (docs/rules.md#windows)."""
    if status == "met":
        return ClockTag.MET
    if status == "lifted":
        return ClockTag.LIFTED
    if status == "paused" or due is None:
        return ClockTag.PAUSED
    if window_closed(rule, due, today):
        return ClockTag.CLOSED
    if due < today:
        return ClockTag.OVERDUE
    if due == today:
        return ClockTag.DUE_TODAY
    if at_risk or any(w <= today for w in warnings):
        return ClockTag.AT_RISK
    return ClockTag.RUNNING


def days_remaining(due: date | None, today: date) -> int | None:
    """Calendar days from today to the due date (negative when overdue)."""
    return None if due is None else (due - today).days
