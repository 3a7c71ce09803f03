"""Consent records, handoffs, disagreements and appeals."""

from advocacy.models import AdvocacyConsent, AdvocacyHandoff, Appeal, Disagreement
from llwybr_common.migrations import create_tables

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # New tables only, so their SQLModel definitions are the DDL (no existing rows to alter).
    create_tables(AdvocacyConsent, AdvocacyHandoff, Disagreement, Appeal)


def downgrade() -> None:
    raise NotImplementedError("forward only")
