"""HTTP routes of the idp service.

Handlers are thin: who is asking, one call to the service in one unit of work, the view.
Refusals are domain errors, answered as problem+json in the caller's language.
"""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from idp import documents, service, views
from idp.access import viewer_of
from idp.models import (
    CeaseDecisionCreate,
    CeaseProposalCreate,
    DraftCreate,
    DraftPublic,
    Idp,
    IdpPage,
    IdpPublic,
    IdpVersion,
    IssueCreate,
    IssuedPublic,
    ProvisionCreate,
    ProvisionPublic,
    RecordPublic,
    ReviewCreate,
    Section,
    SectionUpdate,
    TransferCreate,
    VersionPublic,
)
from idp.referral_client import ReferralDirectory
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import UnitOfWork, unit_of_work
from llwybr_common.wales import Today

router = APIRouter(prefix="/api/v1", tags=["individual development plans"])


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
IDP = "/idps/{idp_id}"
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]


async def _plan_view(uow: UnitOfWork, plan_id: str) -> IdpPublic:
    plan = await uow.session.get(Idp, plan_id)
    assert plan is not None
    items = await service.items_of(uow.session, plan_id)
    return views.plan(plan, items, await service.unissued_changes(uow.session, plan))


@router.post("/cases/{case_id}/idp", status_code=201, response_model=DraftPublic)
async def open_draft(
    case_id: str,
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    body: Annotated[DraftCreate | None, Body()] = None,
) -> DraftPublic:
    viewer = viewer_of(principal)
    language = body.content_language if body else "en"
    async with unit_of_work(rt, principal, purpose=f"POST /cases/{case_id}/idp") as uow:
        plan = await service.open_draft(
            uow, viewer=viewer, case_id=case_id, content_language=language, today=on
        )
    return DraftPublic(idp_id=plan.idp_id, version=plan.version, state=plan.state)


@router.get("/idps", response_model=IdpPage)
async def list_plans(
    rt: Rt,
    principal: CurrentPrincipal,
    maintainer: str | None = None,
    review_due_before: date | None = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
) -> IdpPage:
    """`case_id`: that case's plan, if the caller may see it (an empty list otherwise, so the
    answer never says whether another body's case has a plan)."""
    viewer = viewer_of(principal)
    filters = service.ListFilter(
        maintainer=maintainer, review_due_before=review_due_before, case_id=case_id
    )
    async with unit_of_work(rt, principal, purpose="GET /api/v1/idps") as uow:
        rows = await service.list_plans(uow.session, viewer=viewer, filters=filters)
    return IdpPage(items=[views.list_item(p, n) for p, n in rows])


@router.get(IDP, response_model=IdpPublic)
async def get_plan(idp_id: str, rt: Rt, principal: CurrentPrincipal) -> IdpPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"GET {IDP}") as uow:
        await service.read_plan(uow, viewer=viewer, idp_id=idp_id)
        return await _plan_view(uow, idp_id)


@router.put(IDP + "/sections/{section}", response_model=IdpPublic)
async def put_section(
    idp_id: str,
    section: Section,
    body: SectionUpdate,
    rt: Rt,
    principal: CurrentPrincipal,
) -> IdpPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"PUT {IDP}/sections/{section}") as uow:
        await service.update_section(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            section=section,
            content=body.content,
            reason=body.reason,
        )
        return await _plan_view(uow, idp_id)


@router.post(IDP + "/provision", status_code=201, response_model=ProvisionPublic)
async def add_provision(
    idp_id: str, body: ProvisionCreate, rt: Rt, principal: CurrentPrincipal
) -> ProvisionPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/provision") as uow:
        item = await service.add_item(uow, viewer=viewer, idp_id=idp_id, body=body)
    return views.provision(item)


@router.put(IDP + "/provision/{item_id}", response_model=ProvisionPublic)
async def put_provision(
    idp_id: str, item_id: str, body: ProvisionCreate, rt: Rt, principal: CurrentPrincipal
) -> ProvisionPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"PUT {IDP}/provision/{{item_id}}") as uow:
        item = await service.update_item(
            uow, viewer=viewer, idp_id=idp_id, item_id=item_id, body=body
        )
    return views.provision(item)


@router.delete(IDP + "/provision/{item_id}", status_code=204)
async def delete_provision(
    idp_id: str,
    item_id: str,
    rt: Rt,
    principal: CurrentPrincipal,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"DELETE {IDP}/provision/{{item_id}}") as uow:
        await service.delete_item(uow, viewer=viewer, idp_id=idp_id, item_id=item_id, reason=reason)
    return Response(status_code=204)


@router.post(IDP + "/issue", response_model=IssuedPublic)
async def issue(
    idp_id: str,
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    body: Annotated[IssueCreate | None, Body()] = None,
) -> IssuedPublic:
    viewer = viewer_of(principal)
    body = body or IssueCreate()
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/issue") as uow:
        version = await service.issue(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            issued_on=body.issued_on,
            reason=body.reason,
            today=on,
        )
    return IssuedPublic(idp_id=idp_id, version=version.version, issued_on=version.issued_on)


@router.get(IDP + "/versions/{n}", response_model=VersionPublic)
async def get_version(
    idp_id: str, n: VersionNumber, rt: Rt, principal: CurrentPrincipal
) -> VersionPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"GET {IDP}/versions/{{n}}") as uow:
        version = await service.read_version(uow, viewer=viewer, idp_id=idp_id, n=n)
        previous = await uow.session.get(IdpVersion, (idp_id, n - 1))
        changes = await service.version_changes(uow.session, idp_id, n)
    return views.version(version, previous, changes)


@router.get(IDP + "/versions/{n}/document")
async def get_document(
    idp_id: str,
    n: VersionNumber,
    rt: Rt,
    principal: CurrentPrincipal,
    directory: Annotated[ReferralDirectory, Depends(referral_directory)],
    format: Literal["pdf", "html"] = "html",
    lang: Literal["cy", "en", "both"] | None = None,
) -> Response:
    """The issued version as accessible HTML or tagged PDF, in the family's language: Welsh,
    English, or both with Welsh first (Act s.22; the family's choice held by referral)."""
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"GET {IDP}/versions/{{n}}/document") as uow:
        version = await service.read_version(uow, viewer=viewer, idp_id=idp_id, n=n)
    # Claim-check outside our transaction; an unreachable referral service gives both languages.
    chosen = lang or await directory.preferred_language(version.content["case_id"]) or "both"
    html = documents.render_html(version, chosen)
    if format == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    return Response(
        documents.render_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="idp-{idp_id}-v{n}-{chosen}.pdf"'},
    )


def _record(plan: Idp, kind: str, on: date) -> RecordPublic:
    return RecordPublic(
        idp_id=plan.idp_id,
        kind=kind,
        on=on,
        state=plan.state,
        maintainer=plan.maintainer,
        version=plan.version,
    )


@router.post(IDP + "/reviews", status_code=201, response_model=RecordPublic)
async def post_review(
    idp_id: str, body: ReviewCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> RecordPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/reviews") as uow:
        plan = await service.review(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            held_on=body.held_on,
            revised=body.revised,
            changes=body.changes,
            today=on,
        )
    return _record(plan, "review", body.held_on)


@router.post(IDP + "/transfers", status_code=201, response_model=RecordPublic)
async def post_transfer(
    idp_id: str, body: TransferCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> RecordPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/transfers") as uow:
        plan = await service.transfer(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            to_body=body.to_body,
            on=body.on,
            left_on=body.left_on,
            registered_on=body.registered_on,
            reason=body.reason,
            today=on,
        )
    return _record(plan, "transfer", body.on)


@router.post(IDP + "/cease-proposals", status_code=201, response_model=RecordPublic)
async def post_cease_proposal(
    idp_id: str, body: CeaseProposalCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> RecordPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/cease-proposals") as uow:
        plan = await service.propose_cease(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            reason=body.reason,
            detail=body.detail,
            proposed_on=body.proposed_on,
            today=on,
        )
    return _record(plan, "cease-proposal", body.proposed_on)


@router.post(IDP + "/cease-decisions", status_code=201, response_model=RecordPublic)
async def post_cease_decision(
    idp_id: str, body: CeaseDecisionCreate, rt: Rt, principal: CurrentPrincipal, on: Today
) -> RecordPublic:
    viewer = viewer_of(principal)
    async with unit_of_work(rt, principal, purpose=f"POST {IDP}/cease-decisions") as uow:
        plan = await service.decide_cease(
            uow,
            viewer=viewer,
            idp_id=idp_id,
            decision=body.decision,
            decided_on=body.decided_on,
            reasons=body.reasons,
            today=on,
        )
    return _record(plan, "cease-decision", body.decided_on)
