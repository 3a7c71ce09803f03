"""HTTP routes of the referral service: thin, they call the service."""

import logging

from fastapi import APIRouter, Request
from llwybr_clock.errors import UnknownAuthorityError
from llwybr_common.journey import start_journey
from llwybr_common.problems import Problem
from llwybr_common.runtime import Runtime

from referral import service
from referral.models import ReferralAccepted, ReferralCreate

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")


@router.post("/referrals", status_code=201, response_model=ReferralAccepted)
async def post_referral(request: Request, body: ReferralCreate) -> ReferralAccepted:
    rt: Runtime = request.app.state.runtime
    try:
        async with rt.session() as session:
            intake = await service.receive_referral(session, body=body, source=rt.source)
    except UnknownAuthorityError as exc:
        raise Problem(
            422,
            "Unknown authority",
            str(exc),
            type_="unknown-authority",
            errors=[{"field": "authority", "reason": str(exc)}],
        ) from exc
    rt.relay.wake()
    # Fast path: start the journey now. The bridge starts it again from CaseOpened if this
    # fails, so a Temporal outage delays the journey but never loses the case.
    if rt.temporal is not None:
        try:
            await start_journey(rt.temporal, intake.journey)
        except Exception:
            log.warning(
                "journey start deferred to the bridge", extra={"case_id": intake.accepted.case_id}
            )
    return intake.accepted
