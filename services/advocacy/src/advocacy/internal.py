"""Service-only answers for the services that own what an advocate reads (the referral
service's case API first): may this advocate read this case now? They ask on every read, so
a withdrawal of consent takes effect at the advocate's next request."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from advocacy import service
from advocacy.models import AdvocateAccessPublic
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import AccessDenied
from llwybr_common.runtime import Runtime
from llwybr_common.wales import Today

router = APIRouter(prefix="/api/v1/internal", tags=["service to service"])


@router.get("/advocate-access", response_model=AdvocateAccessPublic)
async def get_advocate_access(
    request: Request,
    principal: CurrentPrincipal,
    on: Today,
    case_id: Annotated[str, Query(min_length=1, max_length=64)],
    advocate: Annotated[str, Query(min_length=1, max_length=200)],
    provider: Annotated[str, Query(min_length=1, max_length=100)],
) -> AdvocateAccessPublic:
    if not principal.is_service:
        raise AccessDenied("access.services-only")
    rt: Runtime = request.app.state.runtime
    # The asking service audits the advocate's read; this answer is ids and codes only.
    async with rt.session() as session:
        return await service.advocate_access(
            session, case_id=case_id, advocate=advocate, provider=provider, today=on
        )
