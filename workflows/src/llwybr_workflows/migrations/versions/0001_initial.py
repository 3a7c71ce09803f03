"""Initial schema of the journey context: outbox, inbox and delivery attempts."""

from llwybr_common.migrations import common_tables, create_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_tables(*common_tables())


def downgrade() -> None:
    raise NotImplementedError("initial revision")
