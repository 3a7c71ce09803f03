"""Write clock/src/llwybr_clock/data/welsh_bank_holidays.csv from the `holidays` library.

    .venv/bin/python clock/scripts/generate_bank_holidays.py

The clock reads this table instead of importing `holidays` (a third of a second for
`llwybr clock`); clock/tests/test_bank_holidays.py fails when the library and the table
disagree, and this script brings them back in step.
"""

import csv
import io
from pathlib import Path

import holidays

from llwybr_clock.bank_holidays import TABLE_FIRST_YEAR, TABLE_LAST_YEAR

OUT = Path(__file__).resolve().parents[1] / "src/llwybr_clock/data/welsh_bank_holidays.csv"


def main() -> None:
    years = range(TABLE_FIRST_YEAR, TABLE_LAST_YEAR + 1)
    found = holidays.country_holidays("GB", subdiv="WLS", years=years)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("date", "name"))
    writer.writerows((day.isoformat(), name) for day, name in sorted(found.items()))
    OUT.write_text(out.getvalue(), encoding="utf-8")
    print(f"{OUT}: {len(found)} bank holidays, {years.start} to {years.stop - 1}")


if __name__ == "__main__":
    main()
