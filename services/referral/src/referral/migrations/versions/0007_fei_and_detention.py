"""An FEI that decides for its student (Act s.11, by UKPRN) and a detained learner (ss.39-56)."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # IF NOT EXISTS: revision 0001 creates `cases` from the model as it is today.
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS institution_ukprn VARCHAR")
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS institution_name VARCHAR")
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS detained BOOLEAN NOT NULL DEFAULT false")
    op.execute("CREATE INDEX IF NOT EXISTS ix_cases_institution_ukprn ON cases (institution_ukprn)")


def downgrade() -> None:
    raise NotImplementedError("forward only")
