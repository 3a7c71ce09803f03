"""How each disagreement ended, on a case's facts (`<date>|<outcome>` from DisagreementConcluded;
`llwybr insight rebuild` fills them from the event table for cases derived before)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column(
        "insight_case_facts",
        sa.Column(
            "disagreement_outcomes",
            postgresql.JSONB(),
            nullable=True,
            server_default=sa.text("'[]'::jsonb"),
        ),
        if_not_exists=True,
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
