"""Welsh bank holidays, as the `holidays` library gives them, when a snapshot is built.

Only snapshot building calls this (docs/rules.md s.3: "Bank holidays in Wales are applied when a
calendar is built into a snapshot"); the clock itself only reads the dates the snapshot recorded.
Years TABLE_FIRST_YEAR to TABLE_LAST_YEAR come from the shipped table
`data/welsh_bank_holidays.csv` (written by clock/scripts/generate_bank_holidays.py from the
library, and tested equal to it): importing the library costs `llwybr clock` a third of a
second. Years outside the table ask the library.
"""

from __future__ import annotations

import csv
import functools
from datetime import date
from importlib import resources

TABLE_FIRST_YEAR = 2000
TABLE_LAST_YEAR = 2069


@functools.cache
def _table() -> dict[date, str]:
    text = (resources.files("llwybr_clock") / "data" / "welsh_bank_holidays.csv").read_text(
        encoding="utf-8"
    )
    return {
        date.fromisoformat(row["date"]): row["name"] for row in csv.DictReader(text.splitlines())
    }


def library_bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """Bank holidays in Wales (GB, subdivision WLS), substitute days included."""
    import holidays

    found = holidays.country_holidays("GB", subdiv="WLS", years=range(first_year, last_year + 1))
    return {day: str(name) for day, name in sorted(found.items())}


def welsh_bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """Bank holidays in Wales (GB, subdivision WLS), substitute days included."""
    if first_year < TABLE_FIRST_YEAR or last_year > TABLE_LAST_YEAR:
        return library_bank_holidays(first_year, last_year)
    return {d: n for d, n in _table().items() if first_year <= d.year <= last_year}
