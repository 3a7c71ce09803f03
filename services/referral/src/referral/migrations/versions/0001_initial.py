"""Initial schema: common tables, children, cases, referrals, consents, notes, projections."""

from llwybr_common.migrations import common_tables, create_tables
from referral.models import (
    Case,
    CaseClock,
    CaseNote,
    Child,
    ConsentRecord,
    Referral,
    TimelineEntry,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_tables(
        *common_tables(), Child, Case, Referral, ConsentRecord, CaseNote, CaseClock, TimelineEntry
    )


def downgrade() -> None:
    raise NotImplementedError("initial revision")
