"""Shipped authorities and ILLUSTRATIVE calendars (docs/rules.md s.3, s.11)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from clock_helpers import d

from llwybr_clock import StatutoryClock, UnknownAuthorityError
from llwybr_clock.shipped import authorities, find_authority, health_boards, shipped_snapshot

pytestmark = pytest.mark.unit


def test_22_authorities_7_boards() -> None:
    assert len(authorities()) == 22
    assert len(health_boards()) == 7
    boards = {b.ons_code for b in health_boards()}
    assert all(a.health_board_ons_code in boards for a in authorities())


@pytest.mark.parametrize("query", ["W06000015", "w06000015", "Cardiff", "CAERDYDD", " caerdydd "])
def test_find_authority_by_code_or_either_name(query: str) -> None:
    assert find_authority(query).ons_code == "W06000015"


def test_unknown_authority_says_how_to_find_valid_ones() -> None:
    with pytest.raises(UnknownAuthorityError, match="llwybr calendar authorities"):
        find_authority("Atlantis")


@pytest.mark.parametrize("ons_code", [a.ons_code for a in authorities()])
def test_every_authority_has_an_illustrative_calendar(ons_code: str) -> None:
    snap = shipped_snapshot(ons_code)
    assert snap.illustrative
    assert snap.first == date(2025, 9, 1) and snap.last == date(2029, 8, 31)
    for year in (2025, 2026, 2027, 2028):
        first, last = date(year, 9, 1).toordinal(), date(year + 1, 8, 31).toordinal()
        assert snap.school_days_between(first, last) == 190  # the statutory 380 sessions


def test_clock_runs_off_the_end_of_the_shipped_calendar() -> None:
    clock = StatutoryClock(
        rule="school-decision", start=d("2029-07-01"), calendar=shipped_snapshot("W06000015")
    )
    with pytest.raises(ValueError, match="no term dates for Cardiff after 2029-08-31"):
        clock.due()


def test_the_pure_core_does_no_io_at_import() -> None:
    # importing the clock must not pull in the holidays library or the shipped data loader
    code = (
        "import sys, llwybr_clock\n"
        "assert 'holidays' not in sys.modules, 'holidays imported'\n"
        "assert 'llwybr_clock.shipped' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
