"""Who may do what in the advocacy service. Checked here, in the service that owns the data.

The case's own people record consent, make handoffs and record disagreements and appeals: LA
roles of the case's owning authority, the ALNCo of its school (the case's scope, learnt from
the referral service by claim-check). A provider's advocates see the handoffs made to their
provider, accept or decline them, and may record consent on the family's behalf with an
evidence reference; the assigned advocate, while consent stands, also records the family's
disagreements and appeals. Nobody else sees anything here.
"""

from dataclasses import dataclass

from llwybr_common.auth import LA_ROLES, Principal
from llwybr_common.errors import AccessDenied
from llwybr_contracts.vocabulary import Role


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    authorities: frozenset[str]  # LA roles: the authorities in scope
    schools: frozenset[str]  # ALNCos: the schools in scope
    providers: frozenset[str]  # advocates: the providers in scope (advocacy:<id>)

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def is_advocate(self) -> bool:
        return bool(self.providers)

    @property
    def is_case_team(self) -> bool:
        return bool(self.authorities or self.schools)

    def role(self) -> str:
        return self.principal.audit_roles()

    def covers(self, authority: str, school_ref: str | None) -> bool:
        """Whether the record's case is in this LA officer's or ALNCo's scope."""
        return authority in self.authorities or bool(school_ref and school_ref in self.schools)

    def of_provider(self, provider: str) -> bool:
        return provider in self.providers


def viewer_of(principal: Principal) -> Viewer:
    authorities = principal.scoped("la") if principal.has_role(*LA_ROLES) else set()
    schools = principal.scoped("school") if principal.has_role(Role.SCHOOL_ALNCO) else set()
    providers = (
        {f"advocacy:{p}" for p in principal.scoped("advocacy")}
        if principal.has_role(Role.ADVOCATE)
        else set()
    )
    viewer = Viewer(principal, frozenset(authorities), frozenset(schools), frozenset(providers))
    if not (viewer.is_case_team or viewer.is_advocate):
        raise AccessDenied("advocacy.role")
    return viewer


def require_case_team(viewer: Viewer) -> None:
    """Handoffs are made by the case's LA officers or ALNCo, never by the provider itself."""
    if not viewer.is_case_team:
        raise AccessDenied("advocacy.case-team-only")
