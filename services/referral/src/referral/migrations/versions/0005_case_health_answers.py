"""The board's s.20 answers as the LA's case view shows them (Act s.21), from the events."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "case_health_answers",
        sa.Column("request_id", sa.String(), primary_key=True),
        sa.Column("case_id", sa.String(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("welsh_delivery", sa.Boolean(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=False),
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_health_answers_case_id", "case_health_answers", ["case_id"], if_not_exists=True
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
