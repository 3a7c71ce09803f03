"""Claim-checks for the journey, with its own service credential: does a case exist, and what is
the journey of each open case started with (ids, codes and dates only).

The bridge asks before starting a journey from `CaseOpened` (a forged event names no real
case); the worker's reconciler asks for the open cases of the last days and starts any journey
that is missing (a start is idempotent by workflow id).
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import col, select

from llwybr_common.auth import CurrentPrincipal, Principal
from llwybr_common.errors import AccessDenied, Conflict, NotFound
from llwybr_common.runtime import Runtime
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState
from referral.models import Case, Child, Referral
from referral.service import journey_input

router = APIRouter(prefix="/api/v1")


class JourneyInputPage(BaseModel):
    items: list[JourneyInput]
    next: str | None = None


def _service_only(principal: Principal) -> None:
    if not principal.is_service:
        raise AccessDenied("access.services-only")


def _query():  # type: ignore[no-untyped-def]
    # The referral that opened the case (not one attached later) dates the matter.
    return (
        select(Case, Child, col(Referral.received_on))
        .join(Child, col(Child.id) == col(Case.child_id))
        .join(Referral, (col(Referral.case_id) == col(Case.id)) & ~col(Referral.attached))
    )


@router.get("/journey-inputs", response_model=JourneyInputPage)
async def open_journey_inputs(
    request: Request,
    principal: CurrentPrincipal,
    opened_since: date,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    after: str | None = None,
) -> JourneyInputPage:
    """Cases not closed, opened on or after `opened_since`, by case id (keyset `after`)."""
    _service_only(principal)
    rt: Runtime = request.app.state.runtime
    query = (
        _query()
        .where(col(Case.state) != CaseState.CLOSED.value)
        .where(col(Case.opened_at) >= opened_since)
        .order_by(col(Case.id))
        .limit(limit)
    )
    if after:
        query = query.where(col(Case.id) > after)
    async with rt.session() as session:
        rows = (await session.exec(query)).all()
    items = [j for case, child, on in rows if (j := journey_input(case, child, on)) is not None]
    return JourneyInputPage(items=items, next=rows[-1][0].id if len(rows) == limit else None)


@router.get("/cases/{case_id}/journey-input", response_model=JourneyInput)
async def case_journey_input(
    request: Request, case_id: str, principal: CurrentPrincipal
) -> JourneyInput:
    """404 when there is no such case; 409 when it was closed at intake (nothing to run)."""
    _service_only(principal)
    rt: Runtime = request.app.state.runtime
    async with rt.session() as session:
        row = (await session.exec(_query().where(col(Case.id) == case_id))).first()
    if row is None:
        raise NotFound("not-found.case", case_id=case_id)
    found = journey_input(*row)
    if found is None:
        raise Conflict("case-closed", case_id=case_id)
    return found
