"""Shared builders for the clock tests (plain functions, no shared mutable state)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

from llwybr_clock import CalendarSnapshot, Lift, Pause, ReasonCode, Resume
from llwybr_clock.calendar import bank_holiday_snapshot, build_snapshot
from llwybr_clock.csv_import import parse_csv

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = datetime(2026, 1, 1, 9, 0)


def d(text: str) -> date:
    return date.fromisoformat(text)


@cache
def fixture_text() -> str:
    return (FIXTURES / "sir-enghraifft-2026-27.csv").read_text(encoding="utf-8")


@cache
def sir_enghraifft() -> CalendarSnapshot:
    """The fixture calendar in fixtures/ (an imaginary authority)."""
    return build_snapshot(parse_csv(fixture_text()), label="Sir Enghraifft")


@cache
def bank_holidays() -> CalendarSnapshot:
    return bank_holiday_snapshot(2025, 2031)


def pause(first: str, last: str | None, reason: ReasonCode = ReasonCode.OTHER) -> Pause:
    return Pause(d(first), d(last) if last else None, reason, "officer-1", RECORDED)


def resume(on: str) -> Resume:
    return Resume(d(on), ReasonCode.OTHER, "officer-1", RECORDED)


def lift(on: str, reason: ReasonCode = ReasonCode.OTHER) -> Lift:
    return Lift(d(on), reason, "officer-1", RECORDED)
