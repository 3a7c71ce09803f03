"""Which Local Health Board answers, and when the answer is due.

A s.20 request goes to the board for the learner's area (docs/rules.md, section 5; Bridgend is in
Cwm Taf Morgannwg since 1 April 2019, as the shipped table says). The due date is the
`health-response` clock: receipt + 42 days, rolled to the next working day in Wales (Regs reg 11,
reg 2(4)); normally the journey computed it and we keep that.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from llwybr_clock import StatutoryClock
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.shipped import HealthBoard, find_authority, health_boards
from llwybr_contracts.vocabulary import RuleId


@dataclass(frozen=True)
class ClockReading:
    due: date | None
    calendar_version: str


def board_for(authority: str) -> HealthBoard:
    """The board covering an authority given by ONS code or name (UnknownAuthorityError if none)."""
    code = find_authority(authority).health_board_ons_code
    return board(code)


@cache
def _boards() -> dict[str, HealthBoard]:
    return {b.ons_code: b for b in health_boards()}


def board(code: str) -> HealthBoard:
    try:
        return _boards()[code]
    except KeyError:
        raise KeyError(f"unknown health board {code!r}") from None


def all_boards() -> tuple[HealthBoard, ...]:
    return health_boards()


def health_response_due(received_on: date) -> ClockReading:
    """Regs reg 11: six weeks from receipt, rolled over to a working day (reg 2(4))."""
    snapshot = bank_holiday_snapshot(received_on.year, received_on.year + 1)
    clock = StatutoryClock(rule=RuleId.HEALTH_RESPONSE, start=received_on, calendar=snapshot)
    return ClockReading(due=clock.due(), calendar_version=snapshot.version)
