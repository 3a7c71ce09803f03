"""Who sees which s.20 requests .

Health roles see their own board's requests, clinical notes included. LA officers see the
outcome and the Welsh-delivery advice for their own authority's cases, never the clinical notes.
Nobody else sees anything here.
"""

from dataclasses import dataclass

from health_liaison.models import HealthInputRequest
from llwybr_common.auth import HEALTH_ROLES, LA_ROLES, Principal
from llwybr_common.errors import AccessDenied

# Who may do what on a request (always within their own board).
ASSIGNERS = ("declo", "health-liaison", "board-aln-lead")
RESPONDERS = ("declo", "health-liaison", "clinician")
IMPRACTICAL_RECORDERS = ("declo", "health-liaison", "board-aln-lead")


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    kind: str  # "health" or "la"
    boards: frozenset[str] = frozenset()
    authorities: frozenset[str] = frozenset()

    @property
    def is_health(self) -> bool:
        return self.kind == "health"

    def may_see(self, request: HealthInputRequest) -> bool:
        if self.is_health:
            return request.board in self.boards
        return request.authority in self.authorities


def viewer_of(principal: Principal) -> Viewer:
    boards = frozenset(principal.scoped("board"))
    if principal.has_role(*HEALTH_ROLES) and boards:
        return Viewer(principal, "health", boards=boards)
    authorities = frozenset(principal.scoped("la"))
    if principal.has_role(*LA_ROLES) and authorities:
        return Viewer(principal, "la", authorities=authorities)
    raise AccessDenied("access.health-scope")


def require_health_role(viewer: Viewer, roles: tuple[str, ...], action: str) -> None:
    """`action` names the step for readers of the code; the answer names the roles."""
    if not viewer.is_health or not viewer.principal.has_role(*roles):
        raise AccessDenied("access.health-role", roles=", ".join(sorted(roles)))
