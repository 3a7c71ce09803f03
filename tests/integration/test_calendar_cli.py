"""`llwybr calendar import/show/changes` and `llwybr clock --authority` on the journey's
calendar store in PostgreSQL (LLWYBR_DATABASE_URL, as a stack's `--home` gives it)."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

import llwybr_workflows
from llwybr.cli import main
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine
from llwybr_common.migrations import migrate

pytestmark = pytest.mark.integration

FIXTURE = str(
    Path(__file__).parents[2] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"
)
MIGRATIONS = Path(llwybr_workflows.__file__).parent / "migrations"


@pytest.fixture
async def journey_db(
    infra: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """A database of its own: the CLI writes the `journey` schema, which on the session's
    database belongs to the running stack (its owner role, and Cardiff's clocks)."""
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))  # no old calendar files to migrate
    name = f"cli_{uuid.uuid4().hex[:12]}"
    socket_dir = infra.database_url.split("host=")[1]
    admin = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = infra.database_url.replace("/llwybr?", f"/{name}?", 1)
    try:
        engine = make_engine(url, "journey")
        await migrate(engine, MIGRATIONS, "journey")
        await engine.dispose()
        monkeypatch.setenv("LLWYBR_DATABASE_URL", url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


async def test_import_show_changes_and_clocks(
    journey_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, "calendar", "import", FIXTURE, "--authority", "Cardiff")
    assert status == 0, err
    assert "covers 2026-09-02 to 2027-07-21" in out and "CalendarChanged queued" in out
    status, out, _ = run(capsys, "calendar", "show", "--authority", "cardiff", "--year", "2026/27")
    assert status == 0
    assert "ILLUSTRATIVE" not in out
    assert "2026-10-26 to 2026-10-30  school holiday" in out
    # the imported calendar now drives clocks for Cardiff
    status, out, err = run(capsys, "clock", "school-decision", "--start", "2026-12-18",
                           "--authority", "Cardiff", "--on", "2026-12-18")  # fmt: skip
    assert status == 0, err
    assert "due   Mon 01 Mar 2027" in out and "ILLUSTRATIVE" not in out
    # a school's own closure adds to the authority's calendar
    closure = tmp_path / "closure.csv"
    closure.write_text("2026-12-21,2026-12-21,closure\n2027-01-06,2027-01-06,closure\n")
    status, out, err = run(capsys, "calendar", "import", str(closure), "--authority", "Cardiff",
                           "--school", "ysgol-2")  # fmt: skip
    assert status == 0, err
    assert "school ysgol-2" in out
    status, out, err = run(capsys, "clock", "school-decision", "--start", "2026-12-18",
                           "--authority", "Cardiff", "--school", "ysgol-2",
                           "--on", "2026-12-18")  # fmt: skip
    assert status == 0, err
    assert "due   Mon 01 Mar 2027" not in out
    status, out, _ = run(capsys, "calendar", "changes", "--authority", "Cardiff")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 2
    assert "W06000015 school ysgol-2 csv" in lines[0] and "(cli)" in lines[0]


async def test_ladder_set_show_history_reset(
    journey_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ladder = tmp_path / "ladder.json"
    ladder.write_text(
        '[{"stage": "at-risk", "roles": ["la-manager"]},'
        ' {"stage": "escalated", "roles": ["head-of-service"], "after_breach_days": 3}]'
    )
    status, out, err = run(capsys, "ladder", "set", str(ladder), "--authority", "Swansea",
                           "--rule", "la-decision")  # fmt: skip
    assert status == 0, err
    assert "set la-decision v1" in out
    status, out, _ = run(capsys, "ladder", "show", "--authority", "Swansea")
    assert status == 0
    assert "la-decision (own, v1): at-risk: la-manager; escalated +3d: head-of-service" in out
    assert "health-response (default): at-risk: declo" in out
    status, out, _ = run(capsys, "ladder", "reset", "--authority", "Swansea", "--rule",
                         "la-decision")  # fmt: skip
    assert status == 0 and "v2" in out and "default" in out
    status, out, _ = run(capsys, "ladder", "show", "--authority", "Swansea", "--rule",
                         "la-decision")  # fmt: skip
    assert out.startswith("la-decision (default): at-risk: officer")
    status, out, _ = run(capsys, "ladder", "history", "--authority", "Swansea")
    assert [line.split()[1] for line in out.splitlines()] == ["v2", "v1"]
    ladder.write_text('[{"stage": "at-risk", "roles": ["mayor"]}]')
    status, out, err = run(capsys, "ladder", "set", str(ladder), "--authority", "Swansea",
                           "--rule", "la-decision")  # fmt: skip
    assert status == 2 and "step 1: unknown role 'mayor'" in err and out == ""
