"""Initial schema: common tables, children, cases and referrals."""

from llwybr_common.migrations import common_tables, create_tables

from referral.models import Case, Child, Referral

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_tables(*common_tables(), Child, Case, Referral)


def downgrade() -> None:
    raise NotImplementedError("initial revision")
