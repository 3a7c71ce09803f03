"""`llwybr clock` answers in a fraction of a second because it imports none of the stack's
machinery: no SQLAlchemy, no Temporal or Kafka client, no pydantic, and not the `holidays`
library (the shipped bank-holiday table stands in for it). Each probe runs in a fresh
interpreter, with no stack recorded and no database configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

HEAVY = ("sqlalchemy", "temporalio", "aiokafka", "faststream", "pydantic", "holidays")


def loaded_after(code: str, home: Path) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    env = {k: v for k, v in os.environ.items() if k != "LLWYBR_DATABASE_URL"}
    env["LLWYBR_HOME"] = str(home)
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split("\n")[-2].split())


def test_importing_the_clock_command_loads_no_database_kafka_or_temporal_client(
    tmp_path: Path,
) -> None:
    assert loaded_after("import llwybr.clock_cli", tmp_path) == set()


def test_a_clock_answered_on_the_shipped_calendar_loads_none_of_them_either(
    tmp_path: Path,
) -> None:
    answer = (
        "from llwybr import cli\n"
        "cli.main(['clock', 'school-decision', '--start', '2026-11-20', '--authority', 'Cardiff'])"
    )
    assert loaded_after(answer, tmp_path) == set()


def test_the_json_answer_validates_through_the_contract_model(tmp_path: Path) -> None:
    answer = (
        "from llwybr import cli\n"
        "cli.main(['clock', 'school-decision', '--start', '2026-11-20', '--authority', "
        "'Cardiff', '--json'])"
    )
    # --json prints the contract's ClockAnswer: pydantic comes in then, and nothing else does
    assert loaded_after(answer, tmp_path) == {"pydantic"}


def test_the_clock_counts_on_the_calendars_of_the_stack_under_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLWYBR_DATABASE_URL", raising=False)
    # a stack recorded under --home whose database is down: the clock asks it (and says it
    # cannot reach it) rather than answering quietly on the shipped calendar
    from llwybr import cli

    record = {
        "port_base": 45000,
        "ports": {},
        "embedded": [],
        "processes": {},
        "endpoints": {
            "database_url": "postgresql+asyncpg://llwybr@127.0.0.1:9/llwybr",
            "temporal": "127.0.0.1:9",
            "temporal_ui": "http://127.0.0.1:9",
            "kafka": "127.0.0.1:9",
            "smtp": "127.0.0.1:9",
        },
    }
    (tmp_path / "stack.json").write_text(json.dumps(record))
    argv = ["clock", "school-decision", "--start", "2026-11-20", "--authority", "Cardiff"]
    assert cli.main([*argv, "--home", str(tmp_path / "elsewhere")]) == 0  # no stack there
    assert "due" in capsys.readouterr().out
    assert cli.main([*argv, "--home", str(tmp_path)]) == 2
    assert "cannot reach the journey's database" in capsys.readouterr().err


def test_the_clock_looks_for_the_stack_record_the_stack_writes() -> None:
    from llwybr import calendar_events, stack

    assert calendar_events.RECORD_FILE == stack.RECORD_FILE
