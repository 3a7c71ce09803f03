"""Who may see and act on a case. Checked here, in the service that owns the data.

A case belongs to its deciding authority (the looking-after authority for looked-after
children); LA roles see their authorities' cases, a school's ALNCo its own pupils'.
"""

from llwybr_common.auth import LA_ROLES, Principal
from referral.models import Case


def owning_authority(case: Case) -> str:
    return case.deciding_authority or case.authority


def can_see(principal: Principal, case: Case) -> bool:
    if principal.is_admin or principal.is_service:
        return True
    if principal.has_role(*LA_ROLES) and owning_authority(case) in principal.scoped("la"):
        return True
    return bool(
        principal.has_role("school-alnco")
        and case.school_ref
        and case.school_ref in principal.scoped("school")
    )


def can_act(principal: Principal, case: Case) -> bool:
    """Commands: the case's LA roles, or the school's ALNCo; never services or health roles."""
    if principal.is_service:
        return False
    return can_see(principal, case)


def can_refer(principal: Principal) -> bool:
    return principal.has_role(*LA_ROLES, "school-alnco", "admin")


def visible_authorities(principal: Principal) -> set[str] | None:
    """Authorities whose cases the caller may list; None means every authority."""
    if principal.is_admin or principal.is_service:
        return None
    return principal.scoped("la") if principal.has_role(*LA_ROLES) else set()


def visible_schools(principal: Principal) -> set[str]:
    return principal.scoped("school") if principal.has_role("school-alnco") else set()
