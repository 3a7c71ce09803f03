"""HTTP routes of the notifications service."""

from fastapi import APIRouter, Request

from notifications import service
from notifications.models import NotificationPublic

router = APIRouter(prefix="/api/v1")


@router.get("/notifications", response_model=dict[str, list[NotificationPublic]])
async def list_notifications(request: Request, case_id: str) -> dict[str, list[NotificationPublic]]:
    async with request.app.state.runtime.session() as session:
        rows = await service.list_for_case(session, case_id=case_id)
    return {"items": [NotificationPublic.model_validate(r, from_attributes=True) for r in rows]}
