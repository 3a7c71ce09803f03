"""Who sees and who writes which plans.

A plan is written by the body that maintains it (Act s.11, s.14): a school's ALNCo writes their
school's plans, a further education institution's ALNCo its students' (`fei:<UKPRN>`), an
authority's officers the authority's. The authority's officers also see the
school plans of their authority (they may be asked to reconsider or take one over, s.27-28) but
do not write them. Anyone else sees nothing here: a plan of another school or authority answers
as one that does not exist. Families' and advocates' read access comes later.
"""

from dataclasses import dataclass

from idp.models import CaseFacts, Idp
from llwybr_common.auth import LA_ROLES, Principal
from llwybr_common.errors import AccessDenied
from llwybr_contracts.vocabulary import Role


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    kind: str  # "la", "school" or "fei"
    authorities: frozenset[str] = frozenset()
    refs: frozenset[str] = frozenset()  # a school's ALNCo: school refs; a college's: UKPRNs

    @property
    def bodies(self) -> frozenset[str]:
        """The maintaining bodies this viewer acts for (`la:<code>`, `school:<ref>`,
        `fei:<UKPRN>`)."""
        if self.kind == "la":
            return frozenset(f"la:{a}" for a in self.authorities)
        return frozenset(f"{self.kind}:{r}" for r in self.refs)

    def may_see(self, plan: Idp) -> bool:
        if self.kind == "la":
            return plan.authority in self.authorities
        return plan.maintainer in self.bodies

    def may_write(self, plan: Idp) -> bool:
        return plan.maintainer in self.bodies

    def may_see_case(self, case: CaseFacts) -> bool:
        if self.kind == "la":
            return case.owning_authority in self.authorities
        # a school's ALNCo sees its pupils' cases, a college's the cases it decides (s.11)
        own = case.institution if self.kind == "fei" else case.school_ref
        return own is not None and own in self.refs

    def may_draft(self, case: CaseFacts) -> bool:
        """The deciding body prepares the plan (Act s.11(1), s.13(1), s.14): a school or a
        college (named by `CaseRouted` version 2) for its own learner, else the authority."""
        if case.deciding_body == "school" or (case.deciding_body == "fei" and case.institution):
            return self.kind == case.deciding_body and self.may_see_case(case)
        return self.kind == "la" and case.owning_authority in self.authorities


def viewer_of(principal: Principal) -> Viewer:
    authorities = frozenset(principal.scoped("la"))
    if principal.has_role(*LA_ROLES) and authorities:
        return Viewer(principal, "la", authorities=authorities)
    for role, kind in ((Role.SCHOOL_ALNCO, "school"), (Role.FEI_ALNCO, "fei")):
        refs = frozenset(principal.scoped(kind))
        if principal.has_role(role) and refs:
            return Viewer(principal, kind, refs=refs)
    raise AccessDenied("idp.access.role")
