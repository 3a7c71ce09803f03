"""Who may manage the recipients directory: an admin, anywhere; an LA manager, in the scope of
their own authority (`la:<their ONS code>`), so a council keeps its own list. Nobody else."""

from dataclasses import dataclass

from llwybr_common.auth import Principal
from llwybr_common.errors import AccessDenied
from llwybr_contracts.vocabulary import Role


@dataclass(frozen=True)
class DirectoryManager:
    principal: Principal
    scopes: frozenset[str] | None  # None: every scope (admin)

    def may_manage(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


def directory_manager(principal: Principal) -> DirectoryManager:
    if principal.has_role(Role.ADMIN):
        return DirectoryManager(principal, None)
    authorities = principal.scoped("la")
    if principal.has_role(Role.LA_MANAGER) and authorities:
        return DirectoryManager(principal, frozenset(f"la:{code}" for code in authorities))
    raise AccessDenied("notifications.recipients-managers")
