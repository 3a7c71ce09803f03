"""Reading a calendar from CSV text: `start,end,kind[,school]`, dates inclusive (docs/rules.md s.3).

Lines starting with `#` are comments; a header row (`start,...`) is optional. The shipped
illustrative calendars mark themselves with a `# illustrative` comment (see `is_illustrative`).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from llwybr_clock.calendar import CalendarEntry, Kind, validate_entries
from llwybr_clock.errors import CalendarError

ILLUSTRATIVE_MARK = "# illustrative"


def is_illustrative(text: str) -> bool:
    """True when the file says it is an illustrative calendar (a `# illustrative` line)."""
    return any(line.strip().lower().startswith(ILLUSTRATIVE_MARK) for line in text.splitlines())


def _date(value: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CalendarError(
            f"line {line}: unreadable {column} date {value.strip()!r} (expected YYYY-MM-DD)"
        ) from None


def parse_csv(text: str, *, school: str | None = None) -> list[CalendarEntry]:
    """Entries from CSV text; `school` tags every row that names no school (a school's import)."""
    entries: list[CalendarEntry] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if cells[0].lower() == "start":
            continue  # header
        if len(cells) < 3 or len(cells) > 4:
            raise CalendarError(
                f"line {line_no}: expected start,end,kind[,school], got {len(cells)} columns"
            )
        start = _date(cells[0], line_no, "start")
        end = _date(cells[1], line_no, "end")
        try:
            kind = Kind(cells[2].lower())
        except ValueError:
            raise CalendarError(
                f"line {line_no}: unknown kind {cells[2]!r} (expected term, holiday, inset or "
                "closure)"
            ) from None
        row_school = cells[3] if len(cells) == 4 and cells[3] else None
        if school is not None and row_school not in (None, school):
            raise CalendarError(
                f"line {line_no}: row for school {row_school!r} in a calendar for {school!r}"
            )
        entries.append(CalendarEntry(start, end, kind, row_school or school, f"line {line_no}"))
    validate_entries(entries)
    return entries
