"""`llwybr calendar import/show/changes` and `llwybr clock --authority` on the journey's
calendar store in PostgreSQL (LLWYBR_DATABASE_URL, as a stack's `--home` gives it)."""

from pathlib import Path

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
async def journey_db(infra: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))  # no old calendar files to migrate
    engine = make_engine(infra.database_url, "journey")
    await migrate(engine, MIGRATIONS, "journey")
    await engine.dispose()
    monkeypatch.setenv("LLWYBR_DATABASE_URL", infra.database_url)
    return infra.database_url


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
