"""Per-authority escalation ladders, versioned (journey/ladder.py holds the defaults)."""

from llwybr_common.migrations import create_tables
from llwybr_workflows.models import StoredLadder

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    create_tables(StoredLadder)


def downgrade() -> None:
    raise NotImplementedError("forward only")
