"""HTTP routes of the notifications service. A caller sees the notifications addressed to a
role and scope it holds (an LA officer of W06000015 sees `la:W06000015`'s)."""

from fastapi import APIRouter, Request

from llwybr_common.auth import CurrentPrincipal, Principal
from notifications import service
from notifications.models import Notification, NotificationPage, NotificationPublic

router = APIRouter(prefix="/api/v1")


def _addressed_to(principal: Principal, note: Notification) -> bool:
    if principal.is_admin or principal.is_service:
        return True
    kind, _, value = note.recipient_scope.partition(":")
    return note.recipient_role in principal.roles and value in principal.scoped(kind)


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    request: Request, case_id: str, principal: CurrentPrincipal
) -> NotificationPage:
    async with request.app.state.runtime.session() as session:
        rows = await service.list_for_case(session, case_id=case_id)
    visible = [r for r in rows if _addressed_to(principal, r)]
    return NotificationPage(
        items=[NotificationPublic.model_validate(r, from_attributes=True) for r in visible]
    )
