"""The event table (append-only, like the audit log) and the facts derived from it."""

from alembic import op

from insight.models import CaseFact, ClockFact, InsightEvent
from llwybr_common.migrations import create_tables

revision = "0002"
down_revision = "0001"

APPEND_ONLY_SQL = (
    "CREATE OR REPLACE FUNCTION insight_events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'insight_events is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER insight_events_no_change BEFORE UPDATE OR DELETE ON insight_events "
    "FOR EACH ROW EXECUTE FUNCTION insight_events_append_only()",
    "CREATE TRIGGER insight_events_no_truncate BEFORE TRUNCATE ON insight_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION insight_events_append_only()",
)


def upgrade() -> None:
    create_tables(InsightEvent, CaseFact, ClockFact)
    for statement in APPEND_ONLY_SQL:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("forward only")
