"""The journey context's file-based calendar store (workflows/calendar_store.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from clock_helpers import d, fixture_text

from llwybr_clock import CalendarError
from llwybr_workflows.calendar_store import calendars_home, import_calendar, load_snapshot

pytestmark = pytest.mark.unit


def test_shipped_calendar_until_one_is_imported(tmp_path: Path) -> None:
    before = load_snapshot("Cardiff", home=tmp_path)
    assert before.illustrative
    imported = import_calendar(fixture_text(), "csv", "W06000015", home=tmp_path)
    assert not imported.illustrative
    assert (imported.first, imported.last) == (d("2026-09-02"), d("2027-07-21"))
    assert load_snapshot("caerdydd", home=tmp_path).version == imported.version
    assert load_snapshot("Swansea", home=tmp_path).illustrative  # other authorities untouched


def test_school_rows_add_to_the_authority(tmp_path: Path) -> None:
    import_calendar(fixture_text(), "csv", "Cardiff", home=tmp_path)
    school = import_calendar(
        "2026-11-20,2026-11-20,closure\n", "csv", "Cardiff", "ysgol-1", home=tmp_path
    )
    assert school.school == "ysgol-1"
    assert not school.is_school_day(d("2026-11-20").toordinal())
    assert load_snapshot("Cardiff", home=tmp_path).is_school_day(d("2026-11-20").toordinal())


def test_bad_import_keeps_the_previous_calendar(tmp_path: Path) -> None:
    good = import_calendar(fixture_text(), "csv", "Cardiff", home=tmp_path)
    with pytest.raises(CalendarError, match="line 1"):
        import_calendar("2026-09-01,nonsense,term\n", "csv", "Cardiff", home=tmp_path)
    assert load_snapshot("Cardiff", home=tmp_path).version == good.version


def test_school_reference_cannot_escape_the_store(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="school reference"):
        import_calendar("2026-11-20,2026-11-20,closure\n", "csv", "Cardiff", "../x", home=tmp_path)


def test_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))
    assert calendars_home() == tmp_path / "calendars"
