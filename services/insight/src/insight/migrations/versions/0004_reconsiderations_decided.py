"""The days an authority decided a reconsideration, on a case's facts (from ClockMet of
la-reconsider-decision and la-reconsider-idp; `llwybr insight rebuild` fills them from the
event table for cases derived before)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column(
        "insight_case_facts",
        sa.Column(
            "reconsiderations_decided",
            postgresql.JSONB(),
            nullable=True,
            server_default=sa.text("'[]'::jsonb"),
        ),
        if_not_exists=True,
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
