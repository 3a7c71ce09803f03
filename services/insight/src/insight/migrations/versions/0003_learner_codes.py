"""Year group, language of education and the plan's provision counts on a case's facts, from
version 2 of ReferralReceived, CaseOpened, IdpIssued and IdpReviewed (`llwybr insight rebuild`
fills them from the event table)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

COLUMNS = (
    ("year_group", sa.String()),
    ("year_group_on", sa.Date()),
    ("language_of_education", sa.String()),
    ("provision_items", sa.Integer()),
    ("provision_items_in_welsh", sa.Integer()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column(
            "insight_case_facts", sa.Column(name, kind, nullable=True), if_not_exists=True
        )


def downgrade() -> None:
    raise NotImplementedError("forward only")
