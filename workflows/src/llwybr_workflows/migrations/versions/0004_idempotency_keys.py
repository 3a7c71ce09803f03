"""Idempotency keys for the calendar API's POSTs (the first answer replayed to a retry)."""

from llwybr_common.idempotency import IdempotencyRecord
from llwybr_common.migrations import create_tables

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    create_tables(IdempotencyRecord)


def downgrade() -> None:
    raise NotImplementedError("keys expire on their own; the table stays")
