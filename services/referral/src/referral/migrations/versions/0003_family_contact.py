"""The family's contact for decision notices, and a looked-after child's IRO (Act s.9, s.68-70)."""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # IF NOT EXISTS: revision 0001 creates `children` from the model as it is today.
    for column in ("contact_name VARCHAR", "contact_email VARCHAR", "iro_email VARCHAR"):
        op.execute(f"ALTER TABLE children ADD COLUMN IF NOT EXISTS {column}")


def downgrade() -> None:
    raise NotImplementedError("forward only")
