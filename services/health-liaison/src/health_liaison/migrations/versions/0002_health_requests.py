"""s.20 requests and the learner details the health sharing agreement allows."""

from health_liaison.models import HealthInputRequest, LearnerDetails
from llwybr_common.migrations import create_tables

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # New tables only, so their SQLModel definitions are the DDL (no existing rows to alter).
    create_tables(HealthInputRequest, LearnerDetails)


def downgrade() -> None:
    raise NotImplementedError("forward only")
