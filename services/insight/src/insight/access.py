"""Who sees which figures.

An LA role sees its own authorities, a health role its own boards (both with the case ids of
their breaches, as their operational views do); a national role (`wg-analyst`, scope `wales`)
sees all of Wales aggregated: no case ids, small numbers suppressed. Nobody else sees anything.
"""

from dataclasses import dataclass

from llwybr_common.auth import HEALTH_ROLES, LA_ROLES, WALES, Principal
from llwybr_common.errors import AccessDenied
from llwybr_contracts.vocabulary import Role


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    kind: str  # "la", "board" or "wales"
    codes: frozenset[str] = frozenset()  # the authorities or boards in scope

    @property
    def national(self) -> bool:
        return self.kind == WALES

    @property
    def scope(self) -> str:
        return WALES if self.national else ",".join(f"{self.kind}:{c}" for c in sorted(self.codes))


def viewer_of(principal: Principal) -> Viewer:
    if principal.has_role(Role.WG_ANALYST) and principal.scoped(WALES):
        return Viewer(principal, WALES)
    authorities = frozenset(principal.scoped("la"))
    if principal.has_role(*LA_ROLES) and authorities:
        return Viewer(principal, "la", authorities)
    boards = frozenset(principal.scoped("board"))
    if principal.has_role(*HEALTH_ROLES) and boards:
        return Viewer(principal, "board", boards)
    raise AccessDenied("insight.access.scope")
