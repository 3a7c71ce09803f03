"""The CLI contract: `llwybr clock ...` and `llwybr calendar ...`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from clock_helpers import FIXTURES

from llwybr import clock_cli
from llwybr.cli import main
from llwybr_clock import RULE_IDS, Basis, Status, Unit
from llwybr_contracts.clock_answer import ClockAnswer, ClockBasis, ClockStatus, ClockUnit

pytestmark = pytest.mark.unit

FIXTURE = str(FIXTURES / "sir-enghraifft-2026-27.csv")


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path / "home"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def validate(payload: dict[str, Any]) -> ClockAnswer:
    """Validate against ClockAnswer.model_json_schema(): required keys, no others, then types."""
    schema = ClockAnswer.model_json_schema()
    assert set(schema["required"]) <= set(payload)
    assert set(payload) <= set(schema["properties"])
    return ClockAnswer.model_validate(payload)


def clock_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = run(capsys, "clock", *argv, "--json")
    assert status == 0, err
    assert len(out.strip().splitlines()) == 1  # ONE object
    payload = json.loads(out)
    validate(payload)
    return payload


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "clock", "--list")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == list(RULE_IDS)


def test_school_decision_on_a_calendar_file(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(
        capsys, "school-decision", "--start", "2026-12-18", "--calendar", FIXTURE,
        "--on", "2027-02-08",
    )  # fmt: skip
    assert a["due"] == "2027-03-01"
    assert a["status"] == "at-risk"
    assert a["unit"] == "school-days" and a["limit"] == 35
    assert a["warnings"] == ["2027-02-08", "2027-02-22"]
    assert a["basis"] == "code" and a["assumed"] is True
    assert a["assumed_conventions"] == ["school-days-counting"]
    assert a["illustrative_calendar"] is False
    assert a["calendar_version"].startswith("cal-")
    assert sum(s["days"] for s in a["explanation"] if s["counted"]) == 35


def test_shipped_calendar_is_marked_illustrative(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(capsys, "school-decision", "--start", "2026-11-10", "--authority", "Caerdydd",
                   "--on", "2026-11-10")  # fmt: skip
    assert a["illustrative_calendar"] is True
    assert a["authority"] == "W06000015"
    assert a["status"] == "running"


def test_weeks_rule_needs_only_bank_holidays(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(capsys, "health-response", "--start", "2026-11-16", "--on", "2026-12-29")
    assert a["due"] == "2026-12-29" and a["status"] == "due-today"
    assert a["basis"] == "law" and a["assumed"] is False and a["assumed_conventions"] == []
    assert a["illustrative_calendar"] is False and a["calendar_version"] is not None
    assert a["unit"] == "weeks" and a["limit"] == 6


def test_review_needs_no_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(capsys, "idp-review", "--start", "2028-02-29", "--on", "2029-03-01")
    assert a["due"] == "2029-02-28" and a["status"] == "overdue"
    assert a["calendar_version"] is None and a["unit"] == "months"


def test_extended_appeal(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(capsys, "tribunal-appeal", "--start", "2026-11-03",
                   "--disagreement-resolution", "--on", "2026-11-03")  # fmt: skip
    assert (a["due"], a["limit"], a["unit"]) == ("2027-02-24", 16, "weeks")


def test_pauses_and_lift(capsys: pytest.CaptureFixture[str]) -> None:
    closed = clock_json(
        capsys, "health-response", "--start", "2027-03-15", "--pause", "2027-03-22:2027-03-26",
        "--on", "2027-03-23",
    )  # fmt: skip
    assert closed["due"] == "2027-05-04" and closed["status"] == "paused"
    assert closed["history"][0]["due_before"] == "2027-04-26"
    assert "pause-conventions" in closed["assumed_conventions"] and closed["assumed"] is True
    open_ = clock_json(capsys, "school-decision", "--start", "2026-11-10", "--calendar", FIXTURE,
                       "--pause", "2026-11-16:", "--on", "2026-11-20")  # fmt: skip
    assert open_["due"] is None and open_["status"] == "paused"
    lifted = clock_json(
        capsys, "health-response", "--start", "2026-11-16", "--lift", "2026-12-01",
        "--reason", "nhs-impractical", "--on", "2026-12-02",
    )  # fmt: skip
    assert lifted["due"] is None and lifted["status"] == "lifted"


def test_on_defaults_to_today_in_wales(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    monkeypatch.setattr(clock_cli, "today_in_wales", lambda: date(2026, 12, 30))
    a = clock_json(capsys, "health-response", "--start", "2026-11-16")
    assert a["on"] == "2026-12-30" and a["status"] == "overdue"


def test_readable_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "clock", "school-decision", "--start", "2026-11-10",
                         "--authority", "W06000015", "--on", "2026-11-10")  # fmt: skip
    assert status == 0
    assert "ILLUSTRATIVE calendar" in out
    assert "skipped: INSET" in out or "skipped: school holiday" in out
    assert "Act s.11" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no-such-rule", "--start", "2026-11-10"], "unknown rule 'no-such-rule'; valid rules: "
         "school-decision, la-decision"),
        (["la-decision", "--start", "2026-02-30"], "malformed date for --start: '2026-02-30'"),
        (["la-decision", "--start", "10/11/2026"], "malformed date for --start"),
        (["la-decision", "--start", "2026-11-10", "--on", "tomorrow"], "malformed date for --on"),
        (["school-decision", "--start", "2029-07-01", "--authority", "Cardiff"],
         "no term dates for Cardiff after 2029-08-31"),
        (["school-decision", "--start", "2027-06-20", "--calendar", FIXTURE],
         "no term dates for sir-enghraifft-2026-27.csv after 2027-07-21"),
        (["la-decision", "--start", "2026-11-10", "--pause", "2026-11-20:2026-11-16"],
         "ends 2026-11-16 before it starts 2026-11-20"),
        (["la-decision", "--start", "2026-11-10", "--pause", "2026-11-20"], "malformed pause"),
        (["school-decision", "--start", "2026-11-10"], "give --authority CODE_OR_NAME or "
         "--calendar FILE"),
        (["school-decision", "--start", "2026-11-10", "--authority", "Atlantis"],
         "unknown authority 'Atlantis'"),
        (["la-decision", "--start", "2026-11-10", "--disagreement-resolution"],
         "only tribunal-appeal"),
        (["la-decision", "--start", "2026-11-10", "--pause", "2026-11-12:", "--reason", "busy"],
         "unknown reason 'busy'"),
        (["school-decision", "--start", "2026-11-10", "--calendar", "/nonexistent.csv"],
         "cannot read calendar file"),
        (["la-decision"], "give --start"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_specific_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "clock", *argv)
    assert status == 2
    assert message in err
    assert out == ""


def test_calendar_import_needs_the_journeys_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # calendars live in the journey's database (tests/integration/test_calendar_cli.py)
    monkeypatch.delenv("LLWYBR_DATABASE_URL", raising=False)
    status, out, err = run(capsys, "calendar", "import", FIXTURE, "--authority", "Cardiff")
    assert status == 2 and out == ""
    assert "no database to import into" in err and "llwybr up --home" in err


def test_calendar_show_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "calendar", "show", "--authority", "Powys", "--year", "2027/28")
    assert status == 0
    assert "ILLUSTRATIVE" in out and out.rstrip().endswith("190 school days")
    status, _, err = run(capsys, "calendar", "show", "--authority", "Powys", "--year", "2031/32")
    assert status == 2 and "no term dates for Powys in 2031/32" in err
    status, _, err = run(capsys, "calendar", "show", "--authority", "Powys", "--year", "2027")
    assert status == 2 and "malformed academic year" in err


def test_calendar_import_error_names_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("start,end,kind\n2026-09-01,2026-09-30,term\n2026-09-15,2026-10-30,term\n")
    status, _, err = run(capsys, "calendar", "import", str(bad), "--authority", "Newport")
    assert status == 2 and "line 3: term 2026-09-15 to 2026-10-30 overlaps" in err


def test_contract_enumerations_match_the_clock() -> None:
    assert set(get_args(ClockUnit)) == {u.value for u in Unit}
    assert set(get_args(ClockStatus)) == {s.value for s in Status}
    assert set(get_args(ClockBasis)) == {b.value for b in Basis}


def test_console_script_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("llwybr")
    result = subprocess.run(
        [str(exe), "clock", "tribunal-appeal", "--start", "2026-11-03", "--on", "2026-12-01",
         "--json"],
        capture_output=True, text=True, check=False, env={"LLWYBR_HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = validate(json.loads(result.stdout))
    assert str(answer.due) == "2026-12-30" and answer.status == "running"
    bad = subprocess.run(
        [str(exe), "clock", "nope", "--start", "2026-11-03"],
        capture_output=True, text=True, check=False, env={"LLWYBR_HOME": str(tmp_path)},
    )  # fmt: skip
    assert bad.returncode == 2 and "valid rules" in bad.stderr


def test_ics_calendar_file_and_school_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ics = tmp_path / "ysgol.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:t1\nSUMMARY:Autumn term\n"
        "DTSTART;VALUE=DATE:20260902\nDTEND;VALUE=DATE:20261024\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:i1\nSUMMARY:INSET\nDTSTART;VALUE=DATE:20260902\nEND:VEVENT\n"
        "END:VCALENDAR\n"
    )
    # Sep 3, 4, 7-11, 14-18, 21-25 ... the 20th school day after Sep 2 is Sep 30
    a = clock_json(capsys, "fei-takeover-response", "--start", "2026-09-02", "--calendar",
                   str(ics), "--on", "2026-09-02")  # fmt: skip
    assert a["due"] == "2026-09-30" and a["unit"] == "term-days"


def test_open_pause_asked_about_an_earlier_day(capsys: pytest.CaptureFixture[str]) -> None:
    # docs/rules.md#pauses: an open pause takes effect on its FROM date
    before = clock_json(
        capsys, "school-decision", "--start", "2026-12-18", "--calendar", FIXTURE,
        "--pause", "2027-02-15:", "--on", "2027-02-08",
    )  # fmt: skip
    assert before["due"] == "2027-03-01"
    assert before["status"] == "at-risk"
    assert before["warnings"] == ["2027-02-08", "2027-02-22"]
    after = clock_json(
        capsys, "school-decision", "--start", "2026-12-18", "--calendar", FIXTURE,
        "--pause", "2027-02-15:", "--on", "2027-02-15",
    )  # fmt: skip
    assert after["due"] is None and after["status"] == "paused"


def test_late_completion_is_met_and_late(capsys: pytest.CaptureFixture[str]) -> None:
    a = clock_json(
        capsys, "school-decision", "--start", "2026-12-18", "--calendar", FIXTURE,
        "--met", "2027-03-04", "--on", "2027-03-05",
    )  # fmt: skip
    assert a["status"] == "met" and a["met_on"] == "2027-03-04"
    assert a["days_late"] == 3
    code, out, _ = run(
        capsys, "clock", "school-decision", "--start", "2026-12-18", "--calendar", FIXTURE,
        "--met", "2027-03-04", "--on", "2027-03-05",
    )  # fmt: skip
    assert code == 0 and "3 day(s) late" in out


def test_a_database_that_does_not_answer_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLWYBR_DATABASE_URL", "postgresql+asyncpg://llwybr@127.0.0.1:9/llwybr")
    status, out, err = run(capsys, "calendar", "import", FIXTURE, "--authority", "Cardiff")
    assert status == 2 and out == ""
    assert "cannot reach the journey's database" in err
