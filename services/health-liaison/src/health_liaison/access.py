"""Who sees which s.20 requests (DESIGN.md, Security; issue 6, data boundaries).

Health roles see their own board's requests, clinical notes included. LA officers see the
outcome and the Welsh-delivery advice for their own authority's cases, never the clinical notes.
Nobody else sees anything here.
"""

from dataclasses import dataclass

from health_liaison.models import HealthInputRequest
from llwybr_common.auth import HEALTH_ROLES, LA_ROLES, Principal, forbid

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
    raise forbid(
        "health requests are for health roles scoped to a board (board:W11...) "
        "or LA roles scoped to an authority (la:W06...)"
    )


def require_health_role(viewer: Viewer, roles: tuple[str, ...], action: str) -> None:
    if not viewer.is_health or not viewer.principal.has_role(*roles):
        raise forbid(f"{action} needs one of the roles {sorted(roles)} scoped to the board")
