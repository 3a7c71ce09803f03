"""HTTP routes of the advocacy service: consent, handoffs, disagreements and appeals.

Handlers are thin: who is asking, the case's scope from the referral service (claim-check,
outside any transaction of ours), one call to the service in one unit of work, the view.
Refusals are domain errors, answered as problem+json in the caller's language.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from advocacy import service, views
from advocacy.access import Viewer, require_case_team, viewer_of
from advocacy.models import (
    AppealCreate,
    AppealDecisionCreate,
    AppealPublic,
    ConsentCreate,
    ConsentPublic,
    ConsentWithdrawal,
    CreatedPublic,
    DisagreementCreate,
    DisagreementOutcomeCreate,
    DisagreementPublic,
    HandoffAcceptance,
    HandoffCreate,
    HandoffDecline,
    HandoffPage,
    HandoffPublic,
)
from advocacy.referral_client import CaseFacts, ReferralCases
from advocacy.watch import HandoffWatches
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import NotFound
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import unit_of_work
from llwybr_common.wales import Today
from llwybr_contracts.journey import HandoffWatchInput

router = APIRouter(prefix="/api/v1", tags=["advocacy"])


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def referral_cases(request: Request) -> ReferralCases:
    """The referral service's case API; a test may set `app.state.referral` to a stub."""
    cases: ReferralCases | None = getattr(request.app.state, "referral", None)
    if cases is None:
        cases = ReferralCases(runtime(request).settings)
        request.app.state.referral = cases
    return cases


def handoff_watches(request: Request) -> HandoffWatches:
    """The handoffs' watches on Temporal; a test may set `app.state.watches` to a spy."""
    watches: HandoffWatches | None = getattr(request.app.state, "watches", None)
    if watches is None:
        rt = runtime(request)
        watches = HandoffWatches(rt.settings, rt.temporal)
        request.app.state.watches = watches
    return watches


Rt = Annotated[Runtime, Depends(runtime)]
Cases = Annotated[ReferralCases, Depends(referral_cases)]
Watches = Annotated[HandoffWatches, Depends(handoff_watches)]


def viewer(principal: CurrentPrincipal) -> Viewer:
    return viewer_of(principal)


Who = Annotated[Viewer, Depends(viewer)]


async def case_facts(cases: ReferralCases, case_id: str) -> CaseFacts:
    """The case's scope and clocks. No such case is 404, as is a case out of the caller's
    scope (the service decides that, with the same answer)."""
    found = await cases.case(case_id)
    if found is None:
        raise NotFound("not-found.case", case_id=case_id)
    return found


# --- consent ----------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/advocacy-consents",
    status_code=201,
    response_model=CreatedPublic,
    response_model_exclude_none=True,
)
async def post_consent(
    case_id: str, body: ConsentCreate, rt: Rt, who: Who, cases: Cases, on: Today
) -> CreatedPublic:
    # Refused before the claim-check: the answer then says nothing of whether the case exists.
    service.require_own_provider(who, body.provider)
    case = await case_facts(cases, case_id)
    async with unit_of_work(rt, who.principal, purpose="POST advocacy-consents") as uow:
        consent = await service.record_consent(uow, viewer=who, case=case, body=body, today=on)
    return CreatedPublic(consent_id=consent.consent_id)


@router.post("/advocacy-consents/{consent_id}/withdraw", response_model=ConsentPublic)
async def post_consent_withdrawal(
    consent_id: str,
    rt: Rt,
    who: Who,
    on: Today,
    watches: Watches,
    body: ConsentWithdrawal | None = None,
) -> ConsentPublic:
    async with unit_of_work(rt, who.principal, purpose="POST advocacy-consents/withdraw") as uow:
        consent, ended = await service.withdraw_consent(
            uow, viewer=who, consent_id=consent_id, today=on
        )
    await watches.answered(ended)  # after the commit: the ended handoffs alert nobody
    return views.consent_public(consent, on)


# --- handoffs ---------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/advocacy-handoffs",
    status_code=201,
    response_model=CreatedPublic,
    response_model_exclude_none=True,
)
async def post_handoff(
    case_id: str,
    body: HandoffCreate,
    rt: Rt,
    who: Who,
    cases: Cases,
    on: Today,
    watches: Watches,
) -> CreatedPublic:
    require_case_team(who)
    case = await case_facts(cases, case_id)
    async with unit_of_work(rt, who.principal, purpose="POST advocacy-handoffs") as uow:
        handoff = await service.make_handoff(uow, viewer=who, case=case, body=body, today=on)
    # after the commit: the provider's lead is alerted if it is not answered in time
    await watches.started(
        HandoffWatchInput(
            handoff_id=handoff.handoff_id,
            case_id=handoff.case_id,
            provider=handoff.provider,
            accept_by=handoff.accept_by,
        )
    )
    return CreatedPublic(handoff_id=handoff.handoff_id)


@router.get("/advocacy-handoffs", response_model=HandoffPage)
async def get_handoffs(
    rt: Rt,
    who: Who,
    cases: Cases,
    on: Today,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HandoffPage:
    """The provider's inbox, each handoff with the case's open clocks (the `tribunal-appeal`
    window first of all) fetched by claim-check while consent stands."""
    async with unit_of_work(rt, who.principal, purpose="GET advocacy-handoffs (inbox)") as uow:
        rows = await service.list_handoffs(uow, viewer=who, limit=limit)
        consents = await service.consents_by_id(uow.session, {h.consent_id for h in rows})
    items = []
    for handoff in rows:
        consent = consents.get(handoff.consent_id)
        standing = consent is not None and service.consent_standing(consent, on)
        case = await cases.clocks(handoff.case_id) if standing else None
        items.append(views.handoff_public(handoff, consent, case, on))
    return HandoffPage(items=items)


@router.post("/advocacy-handoffs/{handoff_id}/accept", response_model=HandoffPublic)
async def post_accept(
    handoff_id: str,
    body: HandoffAcceptance,
    rt: Rt,
    who: Who,
    cases: Cases,
    on: Today,
    watches: Watches,
) -> HandoffPublic:
    async with unit_of_work(rt, who.principal, purpose="POST advocacy-handoffs/accept") as uow:
        handoff = await service.accept_handoff(
            uow, viewer=who, handoff_id=handoff_id, advocate=body.advocate, today=on
        )
        consent = await service.consents_by_id(uow.session, {handoff.consent_id})
    await watches.answered([handoff.handoff_id])
    case = await cases.clocks(handoff.case_id)
    return views.handoff_public(handoff, consent.get(handoff.consent_id), case, on)


@router.post("/advocacy-handoffs/{handoff_id}/decline", response_model=HandoffPublic)
async def post_decline(
    handoff_id: str, body: HandoffDecline, rt: Rt, who: Who, on: Today, watches: Watches
) -> HandoffPublic:
    async with unit_of_work(rt, who.principal, purpose="POST advocacy-handoffs/decline") as uow:
        handoff = await service.decline_handoff(
            uow, viewer=who, handoff_id=handoff_id, reason=body.reason.strip(), today=on
        )
        consent = await service.consents_by_id(uow.session, {handoff.consent_id})
    await watches.answered([handoff.handoff_id])
    return views.handoff_public(handoff, consent.get(handoff.consent_id), None, on)


# --- disagreements and appeals ----------------------------------------------------------------


@router.post(
    "/cases/{case_id}/disagreements",
    status_code=201,
    response_model=CreatedPublic,
    response_model_exclude_none=True,
)
async def post_disagreement(
    case_id: str, body: DisagreementCreate, rt: Rt, who: Who, cases: Cases, on: Today
) -> CreatedPublic:
    case = await case_facts(cases, case_id)
    async with unit_of_work(rt, who.principal, purpose="POST disagreements") as uow:
        found = await service.raise_disagreement(uow, viewer=who, case=case, body=body, today=on)
    return CreatedPublic(disagreement_id=found.disagreement_id)


@router.post("/disagreements/{disagreement_id}/outcome", response_model=DisagreementPublic)
async def post_disagreement_outcome(
    disagreement_id: str, body: DisagreementOutcomeCreate, rt: Rt, who: Who, on: Today
) -> DisagreementPublic:
    async with unit_of_work(rt, who.principal, purpose="POST disagreements/outcome") as uow:
        found = await service.record_disagreement_outcome(
            uow, viewer=who, disagreement_id=disagreement_id, body=body, today=on
        )
    return views.disagreement_public(found)


@router.post("/cases/{case_id}/appeals", status_code=201, response_model=AppealPublic)
async def post_appeal(
    case_id: str, body: AppealCreate, rt: Rt, who: Who, cases: Cases, on: Today
) -> AppealPublic:
    case = await case_facts(cases, case_id)
    async with unit_of_work(rt, who.principal, purpose="POST appeals") as uow:
        appeal = await service.lodge_appeal(uow, viewer=who, case=case, body=body, today=on)
    return views.appeal_public(appeal)


@router.post("/appeals/{appeal_id}/decision", response_model=AppealPublic)
async def post_appeal_decision(
    appeal_id: str, body: AppealDecisionCreate, rt: Rt, who: Who, on: Today
) -> AppealPublic:
    async with unit_of_work(rt, who.principal, purpose="POST appeals/decision") as uow:
        appeal = await service.decide_appeal(
            uow, viewer=who, appeal_id=appeal_id, body=body, today=on
        )
    return views.appeal_public(appeal)
