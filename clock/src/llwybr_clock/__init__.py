"""The statutory clock for the ALN journey in Wales (docs/rules.md sections 1 to 3).

The core (rules, snapshot, counting, exceptions, clock) is pure and deterministic, safe inside
Temporal workflow code. Building snapshots (`calendar`, `csv_import`, `ics_import`) and the
shipped data (`shipped`) are used outside workflows.
"""

from llwybr_clock.clock import HistoryEntry, Status, StatutoryClock
from llwybr_clock.errors import (
    CalendarError,
    ClockError,
    CoverageError,
    ExceptionRecordError,
    UnknownAuthorityError,
    UnknownRuleError,
)
from llwybr_clock.exceptions import ClockException, Lift, Pause, ReasonCode, Resume
from llwybr_clock.explanation import DayNote, DaySpan, Explanation
from llwybr_clock.rules import RULE_IDS, RULES, Basis, Formula, Rule, Unit, rule_for
from llwybr_clock.snapshot import CalendarSnapshot, DayReason

__all__ = [
    "RULES",
    "RULE_IDS",
    "Basis",
    "CalendarError",
    "CalendarSnapshot",
    "ClockError",
    "ClockException",
    "CoverageError",
    "DayNote",
    "DayReason",
    "DaySpan",
    "ExceptionRecordError",
    "Explanation",
    "Formula",
    "HistoryEntry",
    "Lift",
    "Pause",
    "ReasonCode",
    "Resume",
    "Rule",
    "Status",
    "StatutoryClock",
    "Unit",
    "UnknownAuthorityError",
    "UnknownRuleError",
    "rule_for",
]
