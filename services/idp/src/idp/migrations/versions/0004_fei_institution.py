"""The further education institution that decides a case, by UKPRN (Act s.11; `CaseRouted`
version 2): it maintains the plan, so its ALNCo writes it."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column(
        "case_facts", sa.Column("institution", sa.String(), nullable=True), if_not_exists=True
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
