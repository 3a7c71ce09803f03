"""Who may see and act on a case. Checked here, in the service that owns the data.

A case belongs to its deciding authority (the looking-after authority for looked-after
children); LA roles see their authorities' cases, a school's ALNCo its own pupils'. Seeing is
not acting: which roles may take which step depends on who decides the case, and that is the
matrix in `llwybr_contracts.permissions` (Act s.11-15, s.26-27; docs/rules.md s.4).
"""

from llwybr_common.auth import LA_ROLES, Principal
from llwybr_contracts import journey as j
from llwybr_contracts.permissions import (
    EDUCATION_REFERRERS,
    REFERRERS,
    CaseAction,
    DecidedBy,
    ReferralKind,
    roles_that_may,
    roles_that_may_refer,
)
from llwybr_contracts.states import DecidingBody
from referral.models import Case

# The case API's commands are journey updates; each is one action of the matrix.
ACTION_OF_UPDATE = {
    j.UPDATE_RECORD_CONSENT: CaseAction.RECORD_CONSENT,
    j.UPDATE_RECORD_DECISION: CaseAction.RECORD_DECISION,
    j.UPDATE_REFER_TO_LA: CaseAction.REFER_TO_LA,
    j.UPDATE_REQUEST_HEALTH_INPUT: CaseAction.REQUEST_HEALTH_INPUT,
    j.UPDATE_WITHDRAW_HEALTH_INPUT: CaseAction.WITHDRAW_HEALTH_INPUT,
    j.UPDATE_RECORD_EXCEPTION: CaseAction.RECORD_EXCEPTION,
    j.UPDATE_REQUEST_REVIEW: CaseAction.REQUEST_REVIEW,
    j.UPDATE_REQUEST_RECONSIDERATION: CaseAction.REQUEST_RECONSIDERATION,
    j.UPDATE_RECORD_RELEASE: CaseAction.RECORD_RELEASE,
    j.UPDATE_REQUEST_TRIBUNAL_REVIEW: CaseAction.REQUEST_TRIBUNAL_REVIEW,
    j.UPDATE_REQUEST_FEI_TAKEOVER: CaseAction.FEI_TAKEOVER,
    j.UPDATE_ANSWER_FEI_TAKEOVER: CaseAction.FEI_TAKEOVER,
}


def owning_authority(case: Case) -> str:
    return case.deciding_authority or case.authority


def can_see(principal: Principal, case: Case) -> bool:
    if principal.is_admin or principal.is_service:
        return True
    if principal.has_role(*LA_ROLES) and owning_authority(case) in principal.scoped("la"):
        return True
    if (
        principal.has_role("fei-alnco")
        and case.institution_ukprn
        and case.institution_ukprn in principal.scoped("fei")
    ):
        return True  # an FEI's ALNCo sees its own students' cases (Act s.11)
    return bool(
        principal.has_role("school-alnco")
        and case.school_ref
        and case.school_ref in principal.scoped("school")
    )


def decided_by(case: Case, *, la_reconsidering: bool) -> DecidedBy:
    if case.deciding_body == DecidingBody.SCHOOL.value:
        return DecidedBy.LA_RECONSIDERING if la_reconsidering else DecidedBy.SCHOOL
    if case.deciding_body == DecidingBody.FEI.value:
        return DecidedBy.FEI
    return DecidedBy.LOOKED_AFTER if case.looked_after else DecidedBy.LOCAL_AUTHORITY


def can_act(principal: Principal, action: CaseAction, decided: DecidedBy) -> bool:
    """Whether one of the caller's roles may take this step on a case decided this way (the
    caller must also be able to see the case: scope is checked first, by `can_see`)."""
    return bool(roles_that_may(action, decided) & principal.roles)


def can_refer(principal: Principal) -> bool:
    """May refer at all, some kind of referral (the matrix `REFERRERS`)."""
    return principal.has_role(*frozenset().union(*REFERRERS.values()))


def may_refer(principal: Principal, kind: str) -> bool:
    return principal.has_role(*roles_that_may_refer(ReferralKind(kind)))


def refers_for_health_body(principal: Principal) -> bool:
    """A DECLO or clinician with no education role: refers as its board (Act s.64)."""
    return not principal.has_role(*EDUCATION_REFERRERS) and can_refer(principal)


def visible_authorities(principal: Principal) -> set[str] | None:
    """Authorities whose cases the caller may list; None means every authority."""
    if principal.is_admin or principal.is_service:
        return None
    return principal.scoped("la") if principal.has_role(*LA_ROLES) else set()


def visible_schools(principal: Principal) -> set[str]:
    return principal.scoped("school") if principal.has_role("school-alnco") else set()


def visible_institutions(principal: Principal) -> set[str]:
    return principal.scoped("fei") if principal.has_role("fei-alnco") else set()
