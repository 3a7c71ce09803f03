"""HTTP routes of the referral service: thin; they check access, call the service and the
journey, and audit every read of a learner's record and every change."""

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import col, select

from llwybr_common.audit import audit
from llwybr_common.auth import CurrentPrincipal, Principal, forbid
from llwybr_common.journey import start_journey
from llwybr_common.problems import Problem
from llwybr_common.runtime import Runtime
from llwybr_contracts import journey as j
from llwybr_contracts.states import CaseState, DecidingBody
from referral import access, journey_client, service
from referral.models import Case, CaseClock, CaseNote, Child, TimelineEntry
from referral.queries import list_cases
from referral.schemas import (
    CaseDetail,
    CasePage,
    CaseSummary,
    CommandOut,
    ConsentIn,
    DecisionIn,
    ExceptionIn,
    FirstClock,
    HealthRequestAccepted,
    HealthRequestClaim,
    HealthRequestIn,
    LearnerClaim,
    LearnerOut,
    ReconsiderationIn,
    ReferralIn,
    ReferralOut,
    ReferralToLaIn,
    ReviewRequestIn,
    TimelineOut,
    WithdrawIn,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


# --- intake --------------------------------------------------------------------------------


@router.post("/referrals", status_code=201, response_model=ReferralOut)
async def post_referral(
    request: Request, response: Response, body: ReferralIn, principal: CurrentPrincipal
) -> ReferralOut:
    if not access.can_refer(principal):
        raise forbid("referrals are made by LA officers, ALNCos and early-years officers")
    rt = _rt(request)
    checked = service.check_referral(body, today=service.today_in_wales())
    async with rt.session() as session:
        intake = await service.receive_referral(
            session, checked=checked, principal=principal, source=rt.source
        )
        case = intake.case
        if not principal.is_admin and not access.can_see(principal, case):
            raise forbid("you may refer only within your own authority or school")
        audit(
            session,
            principal,
            action="update" if intake.referral.attached else "create",
            resource="case",
            resource_id=case.id,
            case_id=case.id,
            purpose="referral attached" if intake.referral.attached else "referral received",
        )
    rt.relay.wake()
    if intake.referral.attached:
        response.status_code = 200  # attached to the open case as new information
        return _referral_out(case, intake.referral.id, attached=True, clock=_known_clock(case))
    # Fast path: start the journey now. The bridge starts it again from CaseOpened if this
    # fails, so a Temporal outage delays the journey but never loses the case.
    clock = FirstClock(rule=case.first_rule, due=None)
    if intake.journey is not None and rt.temporal is not None:
        try:
            await start_journey(rt.temporal, intake.journey)
        except Exception:
            log.warning("journey start deferred to the bridge", extra={"case_id": case.id})
    if case.first_rule:
        view, status = await journey_client.first_clock(rt.temporal, case.id, case.first_rule)
        error = journey_client.clock_error(status, case.first_rule) if status else None
        if view is not None and view.due is not None:
            clock = FirstClock(rule=view.rule, due=view.due)
        elif view is not None or error:
            # ALN_RULES.md section 1, Coverage: never fall back to counting weekdays.
            clock.why_null = (
                "the calendar does not cover the dates this clock needs"
                + (f" ({error})" if error else "")
                + "; an officer must check the authority's term dates"
            )
            await _flag(rt, case.id, "clock-not-computed")
            case.flags = [*case.flags, "clock-not-computed"]
        else:
            clock.why_null = (
                "the journey has not reported its clock yet"
                if status is None
                else "the journey has not started this clock yet"
            ) + f"; see GET /api/v1/cases/{case.id}"
    else:
        clock.why_null = (
            "no clock runs until the young person's consent is recorded"
            if case.state == CaseState.CONSENT_PENDING.value
            else "the case is closed"
        )
    return _referral_out(case, intake.referral.id, attached=False, clock=clock)


def _referral_out(
    case: Case, referral_id: str, *, attached: bool, clock: FirstClock
) -> ReferralOut:
    return ReferralOut(
        case_id=case.id,
        referral_id=referral_id,
        attached=attached,
        state=case.state,
        deciding_body=case.deciding_body,
        deciding_authority=case.deciding_authority,
        routing_reason=case.routing_reason,
        flags=list(case.flags),
        clock=clock,
    )


def _known_clock(case: Case) -> FirstClock:
    return FirstClock(rule=case.next_rule, due=case.next_due)


async def _flag(rt: Runtime, case_id: str, flag: str) -> None:
    async with rt.session() as session:
        case = await session.get(Case, case_id)
        if case is not None and flag not in case.flags:
            case.flags = [*case.flags, flag]
            session.add(case)


# --- reading -------------------------------------------------------------------------------


def _summary(case: Case, child: Child, today: date) -> CaseSummary:
    return CaseSummary(
        case_id=case.id,
        child_ref=child.child_ref,
        authority=case.authority,
        school_ref=case.school_ref,
        state=case.state,
        deciding_body=case.deciding_body,
        deciding_authority=case.deciding_authority,
        next_rule=case.next_rule,
        next_due=case.next_due,
        overdue=bool(case.next_due and case.next_due < today),
        flags=list(case.flags),
    )


@router.get("/cases", response_model=CasePage)
async def get_cases(
    request: Request,
    principal: CurrentPrincipal,
    authority: str | None = None,
    school: str | None = None,
    deciding_body: DecidingBody | None = None,
    state: CaseState | None = None,
    due_before: date | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> CasePage:
    today = service.today_in_wales()
    async with _rt(request).session() as session:
        rows, next_cursor = await list_cases(
            session,
            authorities=access.visible_authorities(principal),
            schools=access.visible_schools(principal),
            authority=authority,
            school=school,
            deciding_body=deciding_body.value if deciding_body else None,
            state=state.value if state else None,
            due_before=due_before,
            overdue=overdue,
            today=today,
            limit=limit,
            cursor=cursor,
        )
    return CasePage(items=[_summary(c, ch, today) for c, ch in rows], next=next_cursor)


async def _load_case(
    rt: Runtime, case_id: str, principal: Principal, *, purpose: str, act: bool = False
) -> tuple[Case, Child]:
    """The case, if the caller may see (or act on) it; a refusal is audited too."""
    async with rt.session() as session:
        case = await session.get(Case, case_id)
        if case is None:
            raise Problem(404, "No such case", f"there is no case {case_id}", type_="not-found")
        allowed = access.can_act(principal, case) if act else access.can_see(principal, case)
        if not allowed:
            audit(
                session,
                principal,
                action="denied",
                resource="case",
                resource_id=case_id,
                case_id=case_id,
                purpose=purpose,
                outcome="forbidden",
            )
        child = await session.get(Child, case.child_id)
        assert child is not None
    if not allowed:
        raise forbid("this case belongs to another authority or school")
    return case, child


@router.get("/cases/{case_id}", response_model=CaseDetail)
async def get_case(request: Request, case_id: str, principal: CurrentPrincipal) -> CaseDetail:
    rt = _rt(request)
    case, child = await _load_case(rt, case_id, principal, purpose="read case")
    status = await journey_client.journey_status(rt.temporal, case_id)
    async with rt.session() as session:
        audit(
            session,
            principal,
            action="read",
            resource="case",
            resource_id=case_id,
            case_id=case_id,
            purpose="read case",
        )
        timeline = (
            await session.exec(
                select(TimelineEntry)
                .where(TimelineEntry.case_id == case_id)
                .order_by(col(TimelineEntry.at))
            )
        ).all()
        projected = (
            await session.exec(select(CaseClock).where(CaseClock.case_id == case_id))
        ).all()
    today = service.today_in_wales()
    if status is not None:
        clocks, source = list(status.clocks), "journey"
    else:
        clocks = [
            j.ClockView(
                rule=c.rule,
                start=c.start or case.opened_at.date(),
                due=c.due,
                status=c.status,
                met_on=c.met_on,
                calendar_version=c.calendar_version,
                subject=c.subject or None,
            )
            for c in projected
        ]
        source = "projection"
    summary = _summary(case, child, today)
    return CaseDetail(
        **summary.model_dump(),
        learner=LearnerOut(
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            upn=child.upn,
            nhs_number=child.nhs_number,
            language_of_education=child.language_of_education,
            preferred_language=child.preferred_language,
        ),
        looked_after=case.looked_after,
        looking_after_authority=case.looking_after_authority,
        dual_registered=case.dual_registered,
        routing_reason=case.routing_reason,
        clocks=clocks,
        clocks_source=source,  # type: ignore[arg-type]
        timeline=[TimelineOut(at=t.at.isoformat(), kind=t.kind, detail=t.detail) for t in timeline],
    )


@router.get("/cases/{case_id}/learner", response_model=LearnerClaim)
async def get_learner_claim(
    request: Request, case_id: str, principal: CurrentPrincipal
) -> LearnerClaim:
    """Claim-check for other services, with their own credentials (role `service`)."""
    if not principal.is_service:
        raise forbid("only services fetch learner details this way; people use the case view")
    rt = _rt(request)
    case, child = await _load_case(rt, case_id, principal, purpose="claim-check")
    async with rt.session() as session:
        audit(
            session,
            principal,
            action="read",
            resource="learner",
            resource_id=child.child_ref,
            case_id=case_id,
            purpose="claim-check by another service",
        )
    return LearnerClaim(
        case_id=case.id,
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        nhs_number=child.nhs_number,
    )


@router.get("/cases/{case_id}/health-requests/{request_id}", response_model=HealthRequestClaim)
async def get_health_request_claim(
    request: Request, case_id: str, request_id: str, principal: CurrentPrincipal
) -> HealthRequestClaim:
    """Claim-check for the health board: the reason for a s.20 referral, which never travels on
    Kafka (role `service`)."""
    if not principal.is_service:
        raise forbid("only services fetch a request's reason this way")
    rt = _rt(request)
    await _load_case(rt, case_id, principal, purpose="claim-check")
    async with rt.session() as session:
        note = (
            await session.exec(
                select(CaseNote).where(
                    CaseNote.case_id == case_id,
                    CaseNote.subject_id == request_id,
                    CaseNote.command == j.UPDATE_REQUEST_HEALTH_INPUT,
                )
            )
        ).first()
        if note is None:
            raise Problem(
                404, "No such health request", f"case {case_id} has no request {request_id}"
            )
        audit(
            session,
            principal,
            action="read",
            resource="health-request",
            resource_id=request_id,
            case_id=case_id,
            purpose="claim-check by another service",
        )
    return HealthRequestClaim(case_id=case_id, request_id=request_id, reason=note.text)


# --- commands: each a Temporal update on the case's journey ----------------------------------


def _invalid(field: str, reason: str) -> Problem:
    """A 422 naming the field, like the framework's own validation errors."""
    return Problem(
        422,
        "The request is not valid",
        f"{field}: {reason}",
        type_="validation",
        errors=[{"field": field, "reason": reason}],
    )


async def _command(
    request: Request,
    principal: Principal,
    case_id: str,
    *,
    update: str,
    payload: BaseModel | Callable[[Case], BaseModel],
    note: str | None,
    subject_id: str | None = None,
    after: Any = None,
) -> CommandOut:
    rt = _rt(request)
    case, _ = await _load_case(rt, case_id, principal, purpose=update, act=True)
    if case.state == CaseState.CLOSED.value and case.first_rule is None and not case.next_rule:
        # Closed at intake (a young person refused consent): no journey was ever started.
        raise Problem(
            409, "The case is closed", f"case {case_id} was closed at intake", type_="case-closed"
        )
    accepted = await journey_client.send_command(
        rt.temporal,
        case_id=case_id,
        update=update,
        payload=payload if isinstance(payload, BaseModel) else payload(case),
    )
    # The journey accepted it: record what this service owns, in one transaction.
    async with rt.session() as session:
        service.add_note(
            session,
            case_id=case_id,
            command=update,
            text_=note,
            principal=principal,
            subject_id=subject_id,
        )
        if after is not None:
            await after(session, case)
        audit(
            session,
            principal,
            action="command",
            resource="case",
            resource_id=case_id,
            case_id=case_id,
            purpose=update,
        )
    rt.relay.wake()
    return CommandOut(
        case_id=case_id,
        accepted=accepted.accepted,
        state=accepted.state.value,
        detail=accepted.detail,
        request_id=subject_id,
    )


@router.post("/cases/{case_id}/decision", response_model=CommandOut)
async def post_decision(
    request: Request, case_id: str, body: DecisionIn, principal: CurrentPrincipal
) -> CommandOut:
    payload = j.RecordDecision(
        actor=principal.subject,
        outcome=body.outcome,
        decided_on=body.decided_on,
        notice_given_on=body.notice_given_on,
    )
    return await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_RECORD_DECISION,
        payload=payload,
        note=body.note,
    )


@router.post("/cases/{case_id}/referral-to-la", response_model=CommandOut)
async def post_referral_to_la(
    request: Request, case_id: str, body: ReferralToLaIn, principal: CurrentPrincipal
) -> CommandOut:
    def payload(case: Case) -> BaseModel:
        return j.ReferToLa(
            actor=principal.subject, referred_on=body.referred_on, authority=case.authority
        )

    return await _command(
        request, principal, case_id, update=j.UPDATE_REFER_TO_LA, payload=payload, note=body.note
    )


@router.post(
    "/cases/{case_id}/health-requests", status_code=202, response_model=HealthRequestAccepted
)
async def post_health_request(
    request: Request, case_id: str, body: HealthRequestIn, principal: CurrentPrincipal
) -> HealthRequestAccepted:
    request_id = str(uuid.uuid4())  # this service mints request ids
    payload = j.RequestHealthInput(
        actor=principal.subject, request_id=request_id, sent_on=service.today_in_wales()
    )
    await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_HEALTH_INPUT,
        payload=payload,
        note=body.reason,
        subject_id=request_id,
    )
    return HealthRequestAccepted(request_id=request_id)


@router.post("/cases/{case_id}/health-requests/{request_id}/withdraw", response_model=CommandOut)
async def post_health_withdrawal(
    request: Request, case_id: str, request_id: str, body: WithdrawIn, principal: CurrentPrincipal
) -> CommandOut:
    payload = j.WithdrawHealthInput(
        actor=principal.subject, request_id=request_id, on=body.on or service.today_in_wales()
    )
    return await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_WITHDRAW_HEALTH_INPUT,
        payload=payload,
        note=body.note,
        subject_id=request_id,
    )


@router.post("/cases/{case_id}/exceptions", response_model=CommandOut)
async def post_exception(
    request: Request, case_id: str, body: ExceptionIn, principal: CurrentPrincipal
) -> CommandOut:
    if body.reason == "other" and not (body.note and body.note.strip()):
        raise _invalid("note", "the reason `other` needs a note saying why")
    if body.until and body.until < body.from_:
        raise _invalid("until", "a pause cannot end before it starts")
    exception_id = str(uuid.uuid4())
    payload = j.RecordException(
        actor=principal.subject,
        exception_id=exception_id,
        action=body.action,
        rule=body.rule,
        reason=body.reason,
        from_=body.from_,
        until=body.until,
    )
    return await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_RECORD_EXCEPTION,
        payload=payload,
        note=body.note,
        subject_id=exception_id,
    )


@router.post("/cases/{case_id}/consent", response_model=CommandOut)
async def post_consent(
    request: Request, case_id: str, body: ConsentIn, principal: CurrentPrincipal
) -> CommandOut:
    if body.date > service.today_in_wales():
        raise _invalid("date", "the consent date is in the future")
    rt = _rt(request)
    payload = j.RecordConsent(actor=principal.subject, answer=body.status, on=body.date)

    async def record(session: Any, case: Case) -> None:
        await service.record_consent(
            session,
            case=case,
            status=body.status,
            on=body.date,
            principal=principal,
            source=rt.source,
        )

    return await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_RECORD_CONSENT,
        payload=payload,
        note=None,
        after=record,
    )


@router.post("/cases/{case_id}/review-requests", response_model=CommandOut)
async def post_review_request(
    request: Request, case_id: str, body: ReviewRequestIn, principal: CurrentPrincipal
) -> CommandOut:
    payload = j.RequestReview(
        actor=principal.subject, requested_on=body.requested_on, requested_by=body.requested_by
    )
    return await _command(
        request, principal, case_id, update=j.UPDATE_REQUEST_REVIEW, payload=payload, note=body.note
    )


@router.post("/cases/{case_id}/reconsideration-requests", response_model=CommandOut)
async def post_reconsideration(
    request: Request, case_id: str, body: ReconsiderationIn, principal: CurrentPrincipal
) -> CommandOut:
    request_id = str(uuid.uuid4())
    payload = j.RequestReconsideration(
        actor=principal.subject, request_id=request_id, kind=body.kind, received_on=body.received_on
    )
    return await _command(
        request,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_RECONSIDERATION,
        payload=payload,
        note=body.note,
        subject_id=request_id,
    )
