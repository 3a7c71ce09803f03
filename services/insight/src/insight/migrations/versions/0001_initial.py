"""Initial schema: the common outbox, inbox, delivery-attempt and audit tables."""

from llwybr_common.migrations import common_tables, create_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_tables(*common_tables())


def downgrade() -> None:
    raise NotImplementedError("initial revision")
