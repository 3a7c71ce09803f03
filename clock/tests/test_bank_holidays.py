"""The shipped bank-holiday table is the `holidays` library's answer, so reading it instead
of importing the library (for `llwybr clock`'s speed) changes no due date."""

from datetime import date

from llwybr_clock.bank_holidays import (
    TABLE_FIRST_YEAR,
    TABLE_LAST_YEAR,
    library_bank_holidays,
    welsh_bank_holidays,
)


def test_the_table_is_the_librarys_answer_for_every_year_it_covers() -> None:
    # a library upgrade that moves a date fails here: run clock/scripts/generate_bank_holidays.py
    assert welsh_bank_holidays(TABLE_FIRST_YEAR, TABLE_LAST_YEAR) == library_bank_holidays(
        TABLE_FIRST_YEAR, TABLE_LAST_YEAR
    )


def test_a_span_of_years_gives_only_those_years() -> None:
    found = welsh_bank_holidays(2026, 2027)
    assert {d.year for d in found} == {2026, 2027}
    assert found[date(2026, 12, 28)] == "Boxing Day (observed)"


def test_years_beyond_the_table_still_come_from_the_library() -> None:
    found = welsh_bank_holidays(TABLE_LAST_YEAR, TABLE_LAST_YEAR + 1)
    assert found == library_bank_holidays(TABLE_LAST_YEAR, TABLE_LAST_YEAR + 1)
    assert any(d.year == TABLE_LAST_YEAR + 1 for d in found)
