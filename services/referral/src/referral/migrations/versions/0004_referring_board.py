"""The health board that gave a s.64 notice (Act s.64: a DECLO or clinician refers a child
under compulsory school age to the LA)."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # IF NOT EXISTS: revision 0001 creates `referrals` from the model as it is today.
    op.execute("ALTER TABLE referrals ADD COLUMN IF NOT EXISTS referring_board VARCHAR")


def downgrade() -> None:
    raise NotImplementedError("forward only")
