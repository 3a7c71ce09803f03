"""Welsh bank holidays, taken from the `holidays` library when a snapshot is built.

Only snapshot building calls this (docs/rules.md s.3: "Bank holidays in Wales are applied when a
calendar is built into a snapshot"); the clock itself only reads the dates the snapshot recorded.
"""

from __future__ import annotations

from datetime import date

import holidays


def welsh_bank_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """Bank holidays in Wales (GB, subdivision WLS), substitute days included."""
    found = holidays.country_holidays("GB", subdiv="WLS", years=range(first_year, last_year + 1))
    return {day: str(name) for day, name in sorted(found.items())}
