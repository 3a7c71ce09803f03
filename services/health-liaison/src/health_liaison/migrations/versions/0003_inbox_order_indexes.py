"""Indexes in the inbox's own order (soonest due first, no due date last, then request id), so
a board's or an authority's page is read by keyset, never by sorting the whole table."""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    for column in ("board", "authority"):
        op.execute(
            f"CREATE INDEX ix_health_requests_{column}_inbox ON health_requests "
            f"({column}, (COALESCE(due, DATE '9999-12-31')), request_id)"
        )


def downgrade() -> None:
    for column in ("board", "authority"):
        op.execute(f"DROP INDEX ix_health_requests_{column}_inbox")
