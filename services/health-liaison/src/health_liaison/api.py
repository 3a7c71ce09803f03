"""HTTP routes of the health-liaison service: the DECLO inbox.

Handlers are thin: who is asking, one call to the service in one unit of work, the view.
Refusals are domain errors, answered as problem+json in the caller's language.
"""

import logging
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from health_liaison import nhs_number, service, views
from health_liaison.access import (
    ASSIGNERS,
    IMPRACTICAL_RECORDERS,
    RESPONDERS,
    require_health_role,
    viewer_of,
)
from health_liaison.models import (
    AssignmentCreate,
    ImpracticalCreate,
    InboxPage,
    RequestStatus,
    ResponseCreate,
)
from health_liaison.referral_client import ReferralDirectory
from health_liaison.timeliness import TimelinessPublic, timeliness
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import FieldError, Invalid
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import unit_of_work
from llwybr_common.wales import Today

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["health requests"])


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def referral_directory(request: Request) -> ReferralDirectory:
    directory: ReferralDirectory | None = getattr(request.app.state, "referral", None)
    if directory is None:
        directory = ReferralDirectory(runtime(request).settings)
        request.app.state.referral = directory
    return directory


Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/health-requests", response_model=InboxPage)
async def list_health_requests(
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    status: Annotated[list[RequestStatus] | None, Query()] = None,
    due_before: date | None = None,
    overdue: bool | None = None,
    assigned_to: str | None = None,
    board: str | None = None,
    authority: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> InboxPage:
    viewer = viewer_of(principal)
    filters = service.InboxFilter(
        status=tuple(status or ()),
        due_before=due_before,
        overdue=overdue,
        assigned_to=assigned_to,
        board=board,
        authority=authority,
    )
    async with unit_of_work(rt, principal, purpose="GET /api/v1/health-requests (inbox)") as uow:
        rows, next_cursor = await service.list_inbox(
            uow.session, viewer=viewer, filters=filters, today=on, limit=limit, cursor=cursor
        )
    items = [views.inbox_item(r, on, for_health=viewer.is_health) for r in rows]
    return InboxPage(items=items, next=next_cursor)


@router.get("/health-requests/timeliness", response_model=TimelinessPublic)
async def board_timeliness(
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    period_from: Annotated[date | None, Query(alias="from")] = None,
    period_to: Annotated[date | None, Query(alias="to")] = None,
) -> TimelinessPublic:
    viewer = viewer_of(principal)
    period_to = period_to or on
    period_from = period_from or period_to - timedelta(days=365)
    if period_from > period_to:
        raise Invalid(FieldError("from", "period-reversed"))
    async with rt.session() as session:
        return await timeliness(
            session, viewer=viewer, period_from=period_from, period_to=period_to, today=on
        )


@router.get(
    "/health-requests/{request_id}",
    response_model=views.HealthRequestDetailPublic | views.HealthRequestOutcomePublic,
)
async def get_health_request(
    request_id: str,
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    directory: Annotated[ReferralDirectory, Depends(referral_directory)],
) -> views.HealthRequestDetailPublic | views.HealthRequestOutcomePublic:
    viewer = viewer_of(principal)
    purpose = f"GET /api/v1/health-requests/{request_id}"
    async with unit_of_work(rt, principal, purpose=purpose) as uow:
        found = await service.read_request(
            uow, viewer=viewer, request_id=request_id, purpose=purpose
        )
        if not viewer.is_health:
            return views.for_la(found, on)
        learner = await service.stored_learner(uow.session, case_id=found.case_id)
    # Claim-check outside any transaction of ours (never call another service to
    # finish our own transaction); an unreachable referral service leaves the details out.
    fetched = None if learner is not None else await directory.learner(found.case_id)
    reason = await directory.referral_reason(found.case_id, found.request_id)
    async with unit_of_work(rt, principal, purpose=f"{purpose} (health sharing agreement)") as uow:
        if fetched is not None:
            number = fetched.nhs_number
            if number and not nhs_number.is_valid(number):
                log.warning(
                    "referral gave an NHS number failing its check",
                    extra={"request_id": request_id},
                )
                number = None
            learner = await service.keep_learner(
                uow,
                case_id=found.case_id,
                given_name=fetched.given_name,
                family_name=fetched.family_name,
                date_of_birth=fetched.date_of_birth,
                nhs_number=nhs_number.normalise(number) if number else None,
                source="referral",
                purpose=f"claim-check for {purpose}",
            )
        uow.audit(
            action="read",
            resource="learner",
            resource_id=found.case_id,
            case_id=found.case_id,
            outcome="ok" if learner is not None else "unavailable",
        )
    return views.for_health(found, on, learner=learner, reason=reason, with_claim_check=True)


@router.post("/health-requests/{request_id}/assign", response_model=views.HealthRequestDetailPublic)
async def assign_health_request(
    request_id: str, body: AssignmentCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> views.HealthRequestDetailPublic:
    viewer = viewer_of(principal)
    require_health_role(viewer, ASSIGNERS, "assigning a request")
    async with unit_of_work(rt, principal, purpose=f"POST {request_id}/assign") as uow:
        found = await service.assign(
            uow,
            viewer=viewer,
            request_id=request_id,
            kind=body.kind,
            assignee=body.assignee,
            today=on,
        )
    return views.for_health(found, on)


@router.post(
    "/health-requests/{request_id}/response", response_model=views.HealthRequestDetailPublic
)
async def respond_to_health_request(
    request_id: str, body: ResponseCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> views.HealthRequestDetailPublic:
    viewer = viewer_of(principal)
    require_health_role(viewer, RESPONDERS, "answering a request")
    if errors := body.field_errors():
        raise Invalid(*errors)
    async with unit_of_work(rt, principal, purpose=f"POST {request_id}/response") as uow:
        found = await service.respond(
            uow, viewer=viewer, request_id=request_id, answer=body, today=on
        )
    return views.for_health(found, on)


@router.post(
    "/health-requests/{request_id}/impractical", response_model=views.HealthRequestDetailPublic
)
async def record_impractical(
    request_id: str, body: ImpracticalCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> views.HealthRequestDetailPublic:
    viewer = viewer_of(principal)
    require_health_role(viewer, IMPRACTICAL_RECORDERS, "recording the 6 weeks as impractical")
    if not body.reason.strip():
        raise Invalid(FieldError("reason", "reason-required"))
    async with unit_of_work(rt, principal, purpose=f"POST {request_id}/impractical") as uow:
        found = await service.record_impractical(
            uow, viewer=viewer, request_id=request_id, reason=body.reason.strip(), today=on
        )
    return views.for_health(found, on)
