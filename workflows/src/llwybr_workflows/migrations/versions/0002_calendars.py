"""Calendars in the journey schema (several workers share them), with the log of imports; the
calendar files of the store this replaces (under $LLWYBR_HOME/calendars) are imported."""

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from llwybr_clock.errors import ClockError
from llwybr_clock.shipped import find_authority
from llwybr_common.migrations import create_tables
from llwybr_workflows.calendar_snapshots import files_under, snapshot_from
from llwybr_workflows.models import CalendarChange, StoredCalendar

revision = "0002"
down_revision = "0001"
log = logging.getLogger(__name__)


def upgrade() -> None:
    create_tables(StoredCalendar, CalendarChange)
    home = Path(os.environ.get("LLWYBR_HOME", ".llwybr"))
    files = files_under(home)
    now = datetime.now(UTC)
    bind = op.get_bind()
    for found in files:
        try:
            authority = find_authority(found.authority)
            same = [f for f in files if f.authority == authority.ons_code]
            version = snapshot_from(authority, found.school, same).version
        except ClockError as exc:  # a file that no longer builds stays where it is
            log.warning("calendar file %s/%s not imported: %s", found.authority, found.school, exc)
            continue
        school = found.school or ""
        bind.execute(
            sa.text(
                "INSERT INTO journey_calendars (authority, school, format, text, imported_at) "
                "VALUES (:a, :s, :f, :t, :at) ON CONFLICT (authority, school) DO NOTHING"
            ),
            {"a": authority.ons_code, "s": school, "f": found.format, "t": found.text, "at": now},
        )
        bind.execute(
            sa.text(
                "INSERT INTO journey_calendar_changes "
                "(authority, school, format, calendar_version, imported_at, source) "
                "VALUES (:a, :s, :f, :v, :at, 'migration')"
            ),
            {"a": authority.ons_code, "s": school, "f": found.format, "v": version, "at": now},
        )


def downgrade() -> None:
    raise NotImplementedError("forward only")
