"""Initial schema: common tables and in-app notifications."""

from llwybr_common.migrations import common_tables, create_tables
from notifications.models import Notification

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_tables(*common_tables(), Notification)


def downgrade() -> None:
    raise NotImplementedError("initial revision")
