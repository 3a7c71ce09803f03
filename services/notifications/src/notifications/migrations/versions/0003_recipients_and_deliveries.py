"""Recipients, per-person notifications with read state, email jobs, deliveries and digests."""

from alembic import op

from llwybr_common.migrations import create_tables
from notifications.models import Delivery, DigestRun, EmailJob, Recipient

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    create_tables(Recipient, EmailJob, Delivery, DigestRun)
    # IF NOT EXISTS: revision 0001 creates `notifications` from the model as it is today, so a
    # fresh schema already has these columns; one made before this revision gains them here.
    for column in (
        "recipient_id VARCHAR",
        "language VARCHAR",
        "link VARCHAR",
        "params JSONB",
        "read_at TIMESTAMP WITH TIME ZONE",
    ):
        op.execute(f"ALTER TABLE notifications ADD COLUMN IF NOT EXISTS {column}")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_notifications_recipient_created "
        "ON notifications (recipient_id, created_at)"
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
