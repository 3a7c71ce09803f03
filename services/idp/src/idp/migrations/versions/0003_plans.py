"""Plans, their provision items, change log and issued versions; reviews, transfers and cease
steps; the projection of the case and the boards' s.21 answers."""

from idp.models import (
    CaseFacts,
    HealthAnswer,
    Idp,
    IdpChange,
    IdpEventRecord,
    IdpVersion,
    ProvisionItem,
)
from llwybr_common.migrations import create_tables

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # New tables only, so their SQLModel definitions are the DDL (no existing rows to alter).
    create_tables(
        CaseFacts, HealthAnswer, Idp, ProvisionItem, IdpChange, IdpVersion, IdpEventRecord
    )


def downgrade() -> None:
    raise NotImplementedError("forward only")
