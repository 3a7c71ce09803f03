"""Every cell of the case permission matrix, written out once more by hand: a change to who
may take a statutory step has to be made twice, on purpose."""

import pytest

from llwybr_contracts.permissions import (
    MATRIX,
    CaseAction,
    DecidedBy,
    ReferralKind,
    roles_that_may,
    roles_that_may_refer,
)
from llwybr_contracts.vocabulary import Role

pytestmark = pytest.mark.unit

A, D = CaseAction, DecidedBy
LA = {Role.LA_OFFICER, Role.LA_MANAGER, Role.HEAD_OF_SERVICE, Role.EARLY_YEARS_OFFICER}
ALNCO = {Role.SCHOOL_ALNCO}
FEI = {Role.FEI_ALNCO}
NONE: set[Role] = set()

EXPECTED = {
    D.SCHOOL: {
        A.RECORD_CONSENT: ALNCO, A.RECORD_DECISION: ALNCO, A.REFER_TO_LA: ALNCO | LA,
        A.REQUEST_HEALTH_INPUT: ALNCO | LA, A.WITHDRAW_HEALTH_INPUT: ALNCO | LA,
        A.RECORD_EXCEPTION: ALNCO, A.REQUEST_REVIEW: ALNCO, A.REQUEST_RECONSIDERATION: LA,
        A.RECORD_RELEASE: NONE, A.REQUEST_TRIBUNAL_REVIEW: LA, A.FEI_TAKEOVER: NONE,
    },
    D.LA_RECONSIDERING: {
        A.RECORD_CONSENT: ALNCO, A.RECORD_DECISION: LA, A.REFER_TO_LA: ALNCO | LA,
        A.REQUEST_HEALTH_INPUT: ALNCO | LA, A.WITHDRAW_HEALTH_INPUT: ALNCO | LA,
        A.RECORD_EXCEPTION: ALNCO, A.REQUEST_REVIEW: ALNCO, A.REQUEST_RECONSIDERATION: NONE,
        A.RECORD_RELEASE: NONE, A.REQUEST_TRIBUNAL_REVIEW: LA, A.FEI_TAKEOVER: NONE,
    },
    D.LOCAL_AUTHORITY: {
        A.RECORD_CONSENT: LA, A.RECORD_DECISION: LA, A.REFER_TO_LA: NONE,
        A.REQUEST_HEALTH_INPUT: LA, A.WITHDRAW_HEALTH_INPUT: LA,
        A.RECORD_EXCEPTION: LA, A.REQUEST_REVIEW: LA, A.REQUEST_RECONSIDERATION: LA,
        A.RECORD_RELEASE: LA, A.REQUEST_TRIBUNAL_REVIEW: LA, A.FEI_TAKEOVER: LA,
    },
    D.LOOKED_AFTER: {
        A.RECORD_CONSENT: LA, A.RECORD_DECISION: LA, A.REFER_TO_LA: NONE,
        A.REQUEST_HEALTH_INPUT: LA, A.WITHDRAW_HEALTH_INPUT: LA,
        A.RECORD_EXCEPTION: LA, A.REQUEST_REVIEW: LA, A.REQUEST_RECONSIDERATION: LA,
        A.RECORD_RELEASE: LA, A.REQUEST_TRIBUNAL_REVIEW: LA, A.FEI_TAKEOVER: LA,
    },
    # Act s.11: the FEI's ALNCo acts for it; no s.12(2) referral, no LA reconsideration (s.70)
    D.FEI: {
        A.RECORD_CONSENT: FEI, A.RECORD_DECISION: FEI, A.REFER_TO_LA: NONE,
        A.REQUEST_HEALTH_INPUT: FEI, A.WITHDRAW_HEALTH_INPUT: FEI,
        A.RECORD_EXCEPTION: FEI, A.REQUEST_REVIEW: FEI, A.REQUEST_RECONSIDERATION: NONE,
        A.RECORD_RELEASE: NONE, A.REQUEST_TRIBUNAL_REVIEW: FEI, A.FEI_TAKEOVER: NONE,
    },
}  # fmt: skip

CELLS = [(d, a, r) for d in DecidedBy for a in CaseAction for r in Role]


@pytest.mark.parametrize(("decided_by", "action", "role"), CELLS)
def test_each_cell(decided_by: DecidedBy, action: CaseAction, role: Role) -> None:
    assert (role in roles_that_may(action, decided_by)) == (role in EXPECTED[decided_by][action])


def test_the_matrix_covers_every_body_and_action() -> None:
    assert set(MATRIX) == set(DecidedBy)
    assert all(set(row) == set(CaseAction) for row in MATRIX.values())


@pytest.mark.parametrize(
    "role", [Role.DECLO, Role.CLINICIAN, Role.ADVOCATE, Role.SERVICE, Role.ADMIN]
)
def test_roles_outside_education_never_act_on_a_case(role: Role) -> None:
    assert not any(role in roles for row in MATRIX.values() for roles in row.values())


K = ReferralKind
EDUCATION = LA | ALNCO | FEI | {Role.ADMIN}
REFERRERS_EXPECTED = {
    K.CONCERN: EDUCATION,
    K.SCHOOL_REFERRAL_TO_LA: EDUCATION,
    K.DIRECT_REQUEST: EDUCATION,
    # Act s.64: a health body's DECLO or clinician tells the LA of a child under school age
    K.HEALTH_NOTICE_S64: EDUCATION | {Role.DECLO, Role.CLINICIAN},
}


@pytest.mark.parametrize(("kind", "role"), [(k, r) for k in ReferralKind for r in Role])
def test_who_may_refer_each_kind(kind: ReferralKind, role: Role) -> None:
    assert (role in roles_that_may_refer(kind)) == (role in REFERRERS_EXPECTED[kind])
