"""Idempotency keys: the first answer to a POST, replayed to a client that retries."""

from llwybr_common.idempotency import IdempotencyRecord
from llwybr_common.migrations import create_tables

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    create_tables(IdempotencyRecord)


def downgrade() -> None:
    raise NotImplementedError("keys expire on their own; the table stays")
