"""How each disagreement and each reconsideration ended, on a case's facts, as `<date>|<outcome>`:
from DisagreementConcluded, and from the AlnDecided that follows a reconsideration's ClockMet
(`llwybr insight rebuild` fills them from the event table for cases derived before)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    for name in ("disagreement_outcomes", "reconsideration_outcomes"):
        op.add_column(
            "insight_case_facts",
            sa.Column(
                name, postgresql.JSONB(), nullable=True, server_default=sa.text("'[]'::jsonb")
            ),
            if_not_exists=True,
        )


def downgrade() -> None:
    raise NotImplementedError("forward only")
