"""HTTP routes of the referral service, thin: who is asking, one call to intake, a command
or a read in one unit of work, the view. Errors are domain errors, answered as problem+json in
the caller's language by `llwybr_common.problems`."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import col, select

from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import AccessDenied, FieldError, Invalid, NotFound
from llwybr_common.idempotency import stable_id
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import UnitOfWork, unit_of_work
from llwybr_common.wales import Today
from llwybr_contracts import date_bounds
from llwybr_contracts import journey as j
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId
from referral import access, intake, service, views
from referral.advocate_access import AdvocacyDirectory
from referral.calendars import CalendarSource, WorkerCalendars
from referral.commands import run_command
from referral.family_view import FamilyViewPublic, check_link, family_view
from referral.institutions import find_institution
from referral.journey_client import Journey, TemporalJourney
from referral.models import Case, CaseClock, CaseHealthAnswer, CaseNote, Child, TimelineEntry
from referral.queries import list_cases, open_clocks
from referral.schemas import (
    CaseDetailPublic,
    CasePage,
    CommandPublic,
    ConsentCreate,
    DecisionCreate,
    ExceptionCreate,
    FeiTakeoverAnswerCreate,
    FeiTakeoverCreate,
    HealthRequestAcceptedPublic,
    HealthRequestClaimPublic,
    HealthRequestCreate,
    LearnerClaimPublic,
    NoticeContactsPublic,
    ReconsiderationCreate,
    ReferralCreate,
    ReferralPublic,
    ReferralToLaCreate,
    ReleaseCreate,
    ReviewRequestCreate,
    TribunalReviewCreate,
    WithdrawalCreate,
)

router = APIRouter(prefix="/api/v1")


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def journey(request: Request) -> Journey:
    """The case journeys on Temporal; a test may set `app.state.journey` to a fake."""
    fake: Journey | None = getattr(request.app.state, "journey", None)
    return fake or TemporalJourney(runtime(request).temporal)


def advocacy(request: Request) -> AdvocacyDirectory:
    """Who may read a case as its advocate; a test may set `app.state.advocacy` to a stub."""
    found: AdvocacyDirectory | None = getattr(request.app.state, "advocacy", None)
    if found is None:
        found = AdvocacyDirectory(runtime(request).settings)
        request.app.state.advocacy = found
    return found


def calendars(request: Request) -> CalendarSource:
    """The calendars journeys count on, from the worker; a test may set `app.state.calendars`."""
    found: CalendarSource | None = getattr(request.app.state, "calendars", None)
    if found is None:
        found = WorkerCalendars(runtime(request).settings)
        request.app.state.calendars = found
    return found


Rt = Annotated[Runtime, Depends(runtime)]
Calendars = Annotated[CalendarSource, Depends(calendars)]
JourneyDep = Annotated[Journey, Depends(journey)]
Advocacy = Annotated[AdvocacyDirectory, Depends(advocacy)]


# --- intake --------------------------------------------------------------------------------


@router.post("/referrals", status_code=201, response_model=ReferralPublic)
async def post_referral(
    response: Response,
    body: ReferralCreate,
    rt: Rt,
    journey: JourneyDep,
    calendars: Calendars,
    principal: CurrentPrincipal,
    today: Today,
) -> ReferralPublic:
    referred = await intake.refer(rt, journey, principal, body, today=today, calendars=calendars)
    if referred.attached:
        response.status_code = 200  # attached to the open case as new information
    return referred


# --- reading -------------------------------------------------------------------------------


@router.get("/cases", response_model=CasePage)
async def get_cases(
    rt: Rt,
    principal: CurrentPrincipal,
    today: Today,
    authority: str | None = None,
    school: str | None = None,
    deciding_body: DecidingBody | None = None,
    state: CaseState | None = None,
    due_before: date | None = None,
    overdue: bool | None = None,
    rule: RuleId | None = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> CasePage:
    async with unit_of_work(rt, principal, purpose="case list") as uow:
        session = uow.session
        rows, next_cursor = await list_cases(
            session,
            authorities=access.visible_authorities(principal),
            schools=access.visible_schools(principal),
            institutions=access.visible_institutions(principal),
            authority=authority,
            school=school,
            deciding_body=deciding_body.value if deciding_body else None,
            state=state.value if state else None,
            due_before=due_before,
            overdue=overdue,
            today=today,
            rule=rule.value if rule else None,
            reference=reference.strip() if reference else None,
            limit=limit,
            cursor=cursor,
        )
        clocks = await open_clocks(session, [c.id for c, _ in rows])
        for case, _ in rows:  # a list shows each learner's name: every row is a read
            uow.audit(action="read", resource="case", resource_id=case.id, case_id=case.id)
    return CasePage(
        items=[views.case_public(c, ch, today, clocks.get(c.id, ())) for c, ch in rows],
        next=next_cursor,
    )


@router.get("/cases/{case_id}", response_model=CaseDetailPublic)
async def get_case(
    case_id: str,
    rt: Rt,
    journey: JourneyDep,
    advocates: Advocacy,
    principal: CurrentPrincipal,
    today: Today,
) -> CaseDetailPublic:
    # An advocate's access is the advocacy service's to say (consent and handoff live there),
    # asked before our transaction opens and on every read.
    grant = await advocates.grant(principal, case_id)
    purpose = "read case"
    if grant is not None and grant.granted:
        purpose = f"read case as advocate (consent {grant.consent_id}, handoff {grant.handoff_id})"
    async with unit_of_work(rt, principal, purpose=purpose) as uow:
        case, child = await service.load_case(uow, case_id, advocate=grant)
        uow.audit(action="read", resource="case", resource_id=case_id, case_id=case_id)
        timeline = (
            await uow.session.exec(
                select(TimelineEntry)
                .where(TimelineEntry.case_id == case_id)
                .order_by(col(TimelineEntry.at))
            )
        ).all()
        projected = (
            await uow.session.exec(select(CaseClock).where(CaseClock.case_id == case_id))
        ).all()
        answers = (
            await uow.session.exec(
                select(CaseHealthAnswer).where(CaseHealthAnswer.case_id == case_id)
            )
        ).all()
    # Asked outside the transaction: a slow journey never holds a database connection.
    status = await journey.status(case_id)
    detail = views.case_detail(
        case, child, today, status=status, timeline=timeline, projected=projected, answers=answers
    )
    return views.for_advocate(detail) if grant is not None else detail


@router.get("/cases/{case_id}/family-view", response_model=FamilyViewPublic)
async def get_family_view(
    case_id: str,
    rt: Rt,
    journey: JourneyDep,
    principal: CurrentPrincipal,
    family_link: Annotated[str | None, Header(alias="Family-Link", max_length=2048)] = None,
) -> FamilyViewPublic:
    """The family's own view of their case, for the console (role `service`) passing on the
    signed link sent with a decision notice; the link must name this case (Act s.9, s.70:
    the family's notice and rights; docs/rules.md section 7). Every view is audited."""
    if not principal.is_service:
        raise AccessDenied("access.services-only")
    async with unit_of_work(rt, principal, purpose="family view by a notice's link") as uow:
        try:
            notice_id = check_link(rt.settings, case_id, family_link or "")
        except NotFound as refused:  # a bad or expired link is recorded too
            uow.deny(resource="family-view", resource_id=case_id[:64], outcome=refused.code)
            raise
        case = await uow.session.get(Case, case_id)
        child = await uow.session.get(Child, case.child_id) if case else None
        if case is None or child is None:
            uow.deny(resource="family-view", resource_id=case_id, outcome="not-found.family-link")
            raise NotFound("not-found.family-link")
        uow.audit(
            action="read",
            resource="family-view",
            resource_id=case_id,
            case_id=case_id,
            purpose=f"family view by the link sent with notice {notice_id}",
        )
        timeline = (
            await uow.session.exec(
                select(TimelineEntry)
                .where(TimelineEntry.case_id == case_id)
                .order_by(col(TimelineEntry.at))
            )
        ).all()
        projected = (
            await uow.session.exec(select(CaseClock).where(CaseClock.case_id == case_id))
        ).all()
    status = await journey.status(case_id)
    return family_view(case, child, status=status, timeline=timeline, projected=projected)


@router.get("/cases/{case_id}/learner", response_model=LearnerClaimPublic)
async def get_learner_claim(
    case_id: str, rt: Rt, principal: CurrentPrincipal
) -> LearnerClaimPublic:
    """Claim-check for other services, with their own credentials (role `service`)."""
    if not principal.is_service:
        raise AccessDenied("access.services-only")
    async with unit_of_work(rt, principal, purpose="claim-check by another service") as uow:
        case, child = await service.load_case(uow, case_id)
        uow.audit(action="read", resource="learner", resource_id=child.child_ref, case_id=case_id)
    return LearnerClaimPublic(
        case_id=case.id,
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        nhs_number=child.nhs_number,
    )


@router.get("/cases/{case_id}/notice-contacts", response_model=NoticeContactsPublic)
async def get_notice_contacts(
    case_id: str, rt: Rt, principal: CurrentPrincipal
) -> NoticeContactsPublic:
    """Claim-check for the notifications service (role `service`): where the case's decision
    notices go (Act s.9, s.68-70), fetched at send time and never stored there."""
    if not principal.is_service:
        raise AccessDenied("access.services-only")
    async with unit_of_work(rt, principal, purpose="claim-check by another service") as uow:
        case, child = await service.load_case(uow, case_id)
        uow.audit(
            action="read", resource="notice-contacts", resource_id=child.child_ref, case_id=case_id
        )
    return NoticeContactsPublic(
        preferred_language=child.preferred_language,
        family=views.family_contact(child),
        iro_email=child.iro_email if case.looked_after else None,
        looked_after=case.looked_after,
    )


@router.get(
    "/cases/{case_id}/health-requests/{request_id}", response_model=HealthRequestClaimPublic
)
async def get_health_request_claim(
    case_id: str, request_id: str, rt: Rt, principal: CurrentPrincipal
) -> HealthRequestClaimPublic:
    """Claim-check for the health board: the reason for a s.20 referral, which never travels on
    Kafka (role `service`)."""
    if not principal.is_service:
        raise AccessDenied("access.services-only")
    async with unit_of_work(rt, principal, purpose="claim-check by another service") as uow:
        await service.load_case(uow, case_id)
        note = (
            await uow.session.exec(
                select(CaseNote).where(
                    CaseNote.case_id == case_id,
                    CaseNote.subject_id == request_id,
                    CaseNote.command == j.UPDATE_REQUEST_HEALTH_INPUT,
                )
            )
        ).first()
        if note is None:
            raise NotFound("not-found.case-health-request", case_id=case_id, request_id=request_id)
        uow.audit(action="read", resource="health-request", resource_id=request_id, case_id=case_id)
    return HealthRequestClaimPublic(case_id=case_id, request_id=request_id, reason=note.text)


# --- commands: each a Temporal update on the case's journey ----------------------------------


@router.post("/cases/{case_id}/decision", response_model=CommandPublic)
async def post_decision(
    case_id: str,
    body: DecisionCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    late = date_bounds.notice_problem(body.decided_on, body.notice_given_on, "notice_given_on")
    if late is not None:
        raise Invalid(FieldError(late.field, f"dates.{late.code}", late.params()))
    payload = j.RecordDecision(
        actor=principal.subject,
        outcome=body.outcome,
        decided_on=body.decided_on,
        notice_given_on=body.notice_given_on,
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_RECORD_DECISION,
        payload=payload,
        note=body.note,
        dates=(("decided_on", body.decided_on), ("notice_given_on", body.notice_given_on)),
        today=today,
    )


@router.post("/cases/{case_id}/referral-to-la", response_model=CommandPublic)
async def post_referral_to_la(
    case_id: str,
    body: ReferralToLaCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    def payload(case: Case) -> BaseModel:
        return j.ReferToLa(
            actor=principal.subject, referred_on=body.referred_on, authority=case.authority
        )

    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REFER_TO_LA,
        payload=payload,
        note=body.note,
        dates=(("referred_on", body.referred_on),),
        today=today,
    )


@router.post(
    "/cases/{case_id}/health-requests", status_code=202, response_model=HealthRequestAcceptedPublic
)
async def post_health_request(
    case_id: str,
    body: HealthRequestCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> HealthRequestAcceptedPublic:
    # This service mints request ids; a retry of the same Idempotency-Key mints the same one.
    request_id = stable_id("health-request")
    sent_on = body.sent_on or today  # the journey refuses a day in the future
    payload = j.RequestHealthInput(actor=principal.subject, request_id=request_id, sent_on=sent_on)
    await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_HEALTH_INPUT,
        payload=payload,
        note=body.reason,
        subject_id=request_id,
    )
    return HealthRequestAcceptedPublic(request_id=request_id)


@router.post("/cases/{case_id}/health-requests/{request_id}/withdraw", response_model=CommandPublic)
async def post_health_withdrawal(
    case_id: str,
    request_id: str,
    body: WithdrawalCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    payload = j.WithdrawHealthInput(
        actor=principal.subject, request_id=request_id, on=body.on or today
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_WITHDRAW_HEALTH_INPUT,
        payload=payload,
        note=body.note,
        subject_id=request_id,
        dates=(("on", body.on),),
        today=today,
    )


@router.post("/cases/{case_id}/exceptions", response_model=CommandPublic)
async def post_exception(
    case_id: str,
    body: ExceptionCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    if body.reason == "other" and not (body.note and body.note.strip()):
        raise Invalid(FieldError("note", "note-required-for-other"))
    if body.until and body.until < body.from_:
        raise Invalid(FieldError("until", "pause-ends-before-start"))
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
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_RECORD_EXCEPTION,
        payload=payload,
        note=body.note,
        subject_id=exception_id,
        # a pause or lift may be planned ahead: only its lower bounds apply
        dates=(("from", body.from_), ("until", body.until)),
        planned=("from", "until"),
        today=today,
    )


@router.post("/cases/{case_id}/consent", response_model=CommandPublic)
async def post_consent(
    case_id: str,
    body: ConsentCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    payload = j.RecordConsent(actor=principal.subject, answer=body.status, on=body.date)

    async def record(uow: UnitOfWork, case: Case) -> None:
        await service.record_consent(uow, case=case, status=body.status, on=body.date)

    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_RECORD_CONSENT,
        payload=payload,
        note=None,
        after=record,
        dates=(("date", body.date),),
        today=today,
    )


@router.post("/cases/{case_id}/review-requests", response_model=CommandPublic)
async def post_review_request(
    case_id: str,
    body: ReviewRequestCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    payload = j.RequestReview(
        actor=principal.subject, requested_on=body.requested_on, requested_by=body.requested_by
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_REVIEW,
        payload=payload,
        note=body.note,
        dates=(("requested_on", body.requested_on),),
        today=today,
    )


@router.post("/cases/{case_id}/reconsideration-requests", response_model=CommandPublic)
async def post_reconsideration(
    case_id: str,
    body: ReconsiderationCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    request_id = str(uuid.uuid4())
    payload = j.RequestReconsideration(
        actor=principal.subject, request_id=request_id, kind=body.kind, received_on=body.received_on
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_RECONSIDERATION,
        payload=payload,
        note=body.note,
        subject_id=request_id,
        dates=(("received_on", body.received_on),),
        today=today,
    )


@router.post("/cases/{case_id}/release", response_model=CommandPublic)
async def post_release(
    case_id: str,
    body: ReleaseCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    """A detained learner's release: the home LA's `detention-release` clock starts (Act
    ss.39-56; Regs reg 18)."""
    payload = j.RecordRelease(actor=principal.subject, released_on=body.released_on)
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_RECORD_RELEASE,
        payload=payload,
        note=body.note,
        dates=(("released_on", body.released_on),),
        today=today,
    )


@router.post("/cases/{case_id}/tribunal-review-requests", response_model=CommandPublic)
async def post_tribunal_review(
    case_id: str,
    body: TribunalReviewCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    """A party asked the Education Tribunal to review its decision: the
    `tribunal-review-application` window that decision opened is met (ETW Regs reg 53)."""
    payload = j.RequestTribunalReview(
        actor=principal.subject, requested_on=body.requested_on, requested_by=body.requested_by
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_TRIBUNAL_REVIEW,
        payload=payload,
        note=body.note,
        dates=(("requested_on", body.requested_on),),
        today=today,
    )


@router.post("/cases/{case_id}/fei-takeover-requests", response_model=CommandPublic)
async def post_fei_takeover(
    case_id: str,
    body: FeiTakeoverCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    """The LA asks an FEI to take over the plan it maintains: `fei-takeover-response` runs
    (Regs reg 13: 20 of the FEI's term-time days)."""
    ukprn = body.ukprn.strip()
    if find_institution(ukprn) is None:
        raise Invalid(FieldError("ukprn", "unknown-institution", {"value": ukprn}))
    payload = j.RequestFeiTakeover(
        actor=principal.subject, ukprn=ukprn, received_on=body.received_on
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_REQUEST_FEI_TAKEOVER,
        payload=payload,
        note=body.note,
        subject_id=ukprn,
        dates=(("received_on", body.received_on),),
        today=today,
    )


@router.post("/cases/{case_id}/fei-takeover-requests/{ukprn}/answer", response_model=CommandPublic)
async def post_fei_takeover_answer(
    case_id: str,
    ukprn: str,
    body: FeiTakeoverAnswerCreate,
    principal: CurrentPrincipal,
    rt: Rt,
    journey: JourneyDep,
    today: Today,
) -> CommandPublic:
    """The FEI's answer: its `fei-takeover-response` clock is met."""
    payload = j.AnswerFeiTakeover(
        actor=principal.subject, ukprn=ukprn, answer=body.answer, answered_on=body.answered_on
    )
    return await run_command(
        rt,
        journey,
        principal,
        case_id,
        update=j.UPDATE_ANSWER_FEI_TAKEOVER,
        payload=payload,
        note=body.note,
        subject_id=ukprn,
        dates=(("answered_on", body.answered_on),),
        today=today,
    )
