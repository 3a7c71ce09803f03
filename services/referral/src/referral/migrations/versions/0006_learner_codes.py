"""The learner's year group and language of education as given with each referral: codes the
statutory figures count by (ReferralReceived and CaseOpened version 2, docs/events.md)."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    for column in ("year_group", "language_of_education"):
        op.add_column(
            "referrals",
            sa.Column(column, sa.String(), nullable=False, server_default="unknown"),
            if_not_exists=True,
        )


def downgrade() -> None:
    raise NotImplementedError("forward only")
