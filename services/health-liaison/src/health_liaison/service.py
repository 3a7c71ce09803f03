"""What the health-liaison service does. Every function is keyword-only and works inside the
caller's one unit of work: state, audit record and outbox rows commit together or not at all.
Refusals are domain errors (`llwybr_common.errors`), never HTTP errors."""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, literal_column, tuple_
from sqlmodel import and_, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from health_liaison.access import Viewer
from health_liaison.models import (
    AWAITING_ANSWER,
    HealthInputRequest,
    LearnerDetails,
    RequestStatus,
    ResponseCreate,
)
from health_liaison.routing import board_for, health_response_due
from llwybr_clock.shipped import find_authority
from llwybr_common import cursor as keyset
from llwybr_common.audit import audit
from llwybr_common.errors import Conflict, NotFound
from llwybr_common.unit_of_work import UnitOfWork
from llwybr_contracts.events import (
    HealthInputImpractical,
    HealthInputReceived,
    HealthInputRequested,
)

log = logging.getLogger(__name__)

NO_DUE = date(9999, 12, 31)  # sorts requests with no due date (paused, lifted) last


def is_overdue(request: HealthInputRequest, today: date) -> bool:
    # Due all day on the due date; breached from 00:00 the next day (docs/rules.md, section 1).
    return request.status in AWAITING_ANSWER and request.due is not None and today > request.due


def days_remaining(request: HealthInputRequest, today: date) -> int | None:
    """Calendar days to the due date, negative once overdue."""
    return None if request.due is None else (request.due - today).days


# --- from the journey -------------------------------------------------------------------------


async def open_request(
    session: AsyncSession, *, event: HealthInputRequested
) -> HealthInputRequest | None:
    """Route a s.20 request to the board for the learner's authority; a repeat is a no-op."""
    if await session.get(HealthInputRequest, event.request_id) is not None:
        return None
    # Accept the authority by ONS code or name (docs/rules.md, section 5); keep the code.
    authority = find_authority(event.authority).ons_code
    board = board_for(authority)
    # Received the day it was sent (Act s.88(6)): the event's start date, never consumption time.
    due, version, clock_state = event.due, None, "running"
    if due is None:
        reading = health_response_due(event.start)
        due, version = reading.due, reading.calendar_version
    now = datetime.now(UTC)
    request = HealthInputRequest(
        request_id=event.request_id,
        case_id=event.case_id,
        authority=authority,
        board=board.ons_code,
        received_on=event.start,
        due=due,
        clock_state=clock_state,
        calendar_version=version,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    return request


async def follow_clock(
    session: AsyncSession,
    *,
    request_id: str,
    due: date | None,
    change: str,
    calendar_version: str | None,
) -> HealthInputRequest | None:
    """The journey owns the clock: keep its due date (paused or lifted: none)."""
    request = await session.get(HealthInputRequest, request_id)
    if request is None:
        log.warning("clock change for an unknown request", extra={"request_id": request_id})
        return None
    request.due = due
    if request.clock_state != "met":  # an answered request's clock stays met
        request.clock_state = {"paused": "paused", "lifted": "lifted"}.get(change, "running")
    if calendar_version:
        request.calendar_version = calendar_version
    request.updated_at = datetime.now(UTC)
    session.add(request)
    return request


async def note_deadline(
    session: AsyncSession, *, request_id: str, kind: str, escalation_level: int
) -> None:
    request = await session.get(HealthInputRequest, request_id)
    if request is None:
        return
    request.last_deadline_event = kind
    request.escalation_level = max(request.escalation_level, escalation_level)
    request.updated_at = datetime.now(UTC)
    session.add(request)


async def withdraw(
    session: AsyncSession, *, request_id: str, withdrawn_on: date
) -> HealthInputRequest | None:
    request = await session.get(HealthInputRequest, request_id)
    if request is None:
        log.warning("withdrawal of an unknown request", extra={"request_id": request_id})
        return None
    request.withdrawn_on = withdrawn_on
    # An answer already given stands; an unanswered request (or one whose limit was lifted)
    # is no longer owed.
    if request.status != RequestStatus.RESPONDED:
        request.status = RequestStatus.WITHDRAWN
    request.updated_at = datetime.now(UTC)
    session.add(request)
    return request


# --- the inbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    status: tuple[RequestStatus, ...] = ()
    due_before: date | None = None
    overdue: bool | None = None
    assigned_to: str | None = None
    board: str | None = None
    authority: str | None = None


def encode_cursor(request: HealthInputRequest) -> str:
    """The cursor of the page that starts after `request`, in inbox order."""
    return keyset.encode_cursor(request.due or NO_DUE, request.request_id)


def inbox_query(
    *, viewer: Viewer, filters: InboxFilter, today: date, limit: int, cursor: str | None
) -> SelectOfScalar[HealthInputRequest]:
    """One page (and one more row, to know whether there is a next) in inbox order."""
    # The same expression as the inbox indexes (migration 0003), so they serve the order.
    sort_due = func.coalesce(col(HealthInputRequest.due), literal_column("DATE '9999-12-31'"))
    query = select(HealthInputRequest)
    if viewer.is_health:
        query = query.where(col(HealthInputRequest.board).in_(sorted(viewer.boards)))
    else:
        query = query.where(col(HealthInputRequest.authority).in_(sorted(viewer.authorities)))
    if filters.board:
        query = query.where(HealthInputRequest.board == filters.board)
    if filters.authority:
        query = query.where(HealthInputRequest.authority == filters.authority)
    if filters.status:
        query = query.where(col(HealthInputRequest.status).in_([s.value for s in filters.status]))
    if filters.due_before:
        query = query.where(col(HealthInputRequest.due) < filters.due_before)
    # Only the board sees who is assigned, so only the board may filter by it: an LA officer
    # probing names with the filter would learn the assignee from which rows come back.
    if filters.assigned_to and viewer.is_health:
        query = query.where(HealthInputRequest.assigned_to == filters.assigned_to)
    if filters.overdue is not None:
        late = and_(
            col(HealthInputRequest.status).in_([s.value for s in AWAITING_ANSWER]),
            col(HealthInputRequest.due).is_not(None),
            col(HealthInputRequest.due) < today,
        )
        query = query.where(late if filters.overdue else ~late)
    if cursor:
        due, after_id = keyset.decode_cursor(cursor)
        after_due = due or NO_DUE
        # A row comparison, so the index range starts right after the cursor.
        query = query.where(
            tuple_(sort_due, col(HealthInputRequest.request_id)) > tuple_(after_due, after_id)
        )
    return query.order_by(sort_due, col(HealthInputRequest.request_id)).limit(limit + 1)


async def list_inbox(
    session: AsyncSession,
    *,
    viewer: Viewer,
    filters: InboxFilter,
    today: date,
    limit: int,
    cursor: str | None,
) -> tuple[list[HealthInputRequest], str | None]:
    """A board's (or an authority's) requests, soonest due first; every one listed is audited."""
    query = inbox_query(viewer=viewer, filters=filters, today=today, limit=limit, cursor=cursor)
    rows = list((await session.exec(query)).all())
    page, more = rows[:limit], len(rows) > limit
    for request in page:
        audit(
            session,
            viewer.principal,
            action="read",
            resource="health-request",
            resource_id=request.request_id,
            case_id=request.case_id,
            purpose="GET /api/v1/health-requests (inbox)",
        )
    return page, (encode_cursor(page[-1]) if more and page else None)


async def read_request(
    uow: UnitOfWork, *, viewer: Viewer, request_id: str, purpose: str
) -> HealthInputRequest:
    """One request the viewer may see, its read audited. No such request and one the viewer
    may not see get the same answer (existence is not disclosed); the denial is audited."""
    request = await uow.session.get(HealthInputRequest, request_id)
    if request is None or not viewer.may_see(request):
        uow.deny(
            resource="health-request",
            resource_id=request_id,
            case_id=request.case_id if request else None,
            outcome="not-found-or-out-of-scope",
        )
        raise NotFound("not-found.health-request", request_id=request_id)
    uow.audit(
        action="read",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=purpose,
    )
    return request


async def request_of_case(uow: UnitOfWork, *, viewer: Viewer, case_id: str) -> HealthInputRequest:
    """A board reaches a learner only through a request of its own for that case."""
    found = (
        await uow.session.exec(
            select(HealthInputRequest)
            .where(
                HealthInputRequest.case_id == case_id,
                col(HealthInputRequest.board).in_(sorted(viewer.boards)),
            )
            .limit(1)
        )
    ).first()
    if found is None or not viewer.is_health:
        uow.deny(resource="learner", resource_id=case_id, outcome="not-found-or-out-of-scope")
        raise NotFound("not-found.learner", case_id=case_id)
    return found


async def stored_learner(session: AsyncSession, *, case_id: str) -> LearnerDetails | None:
    return await session.get(LearnerDetails, case_id)


async def keep_learner(
    uow: UnitOfWork,
    *,
    case_id: str,
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    nhs_number: str | None,
    source: str,
    purpose: str,
) -> LearnerDetails:
    """Keep what the sharing agreement allows (name, date of birth, NHS number), audited."""
    details = await uow.session.get(LearnerDetails, case_id) or LearnerDetails(
        case_id=case_id, source=source, fetched_at=datetime.now(UTC)
    )
    details.given_name = given_name if given_name is not None else details.given_name
    details.family_name = family_name if family_name is not None else details.family_name
    details.date_of_birth = date_of_birth if date_of_birth is not None else details.date_of_birth
    details.nhs_number = nhs_number if nhs_number is not None else details.nhs_number
    details.source, details.fetched_at = source, datetime.now(UTC)
    uow.session.add(details)
    uow.audit(
        action="update",
        resource="learner",
        resource_id=case_id,
        case_id=case_id,
        purpose=purpose,
    )
    return details


# --- the board acts ---------------------------------------------------------------------------


def _refuse_unless_owed(request: HealthInputRequest) -> None:
    """Answering twice, or after withdrawal, is refused with the reason."""
    if request.status == RequestStatus.WITHDRAWN:
        raise Conflict("request-withdrawn", withdrawn_on=str(request.withdrawn_on))
    if request.status == RequestStatus.RESPONDED:
        raise Conflict(
            "already-answered", answered_on=str(request.answered_on), outcome=request.outcome
        )


async def assign(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    request_id: str,
    kind: str,
    assignee: str,
    today: date,
) -> HealthInputRequest:
    request = await read_request(uow, viewer=viewer, request_id=request_id, purpose="POST assign")
    _refuse_unless_owed(request)
    request.assigned_kind, request.assigned_to, request.assigned_on = kind, assignee, today
    if request.status == RequestStatus.OPEN:
        request.status = RequestStatus.ASSIGNED
    request.updated_at = datetime.now(UTC)
    uow.session.add(request)
    uow.audit(
        action="update",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=f"assign to {kind}",
    )
    return request


def same_answer(request: HealthInputRequest, answer: ResponseCreate) -> bool:
    """Whether `answer` is the answer the request already holds."""
    return request.status == RequestStatus.RESPONDED and (
        request.outcome,
        request.service,
        request.welsh_delivery,
        request.clinical_notes,
    ) == (answer.outcome, answer.service, answer.welsh_delivery, answer.notes)


async def respond(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    request_id: str,
    answer: ResponseCreate,
    today: date,
) -> HealthInputRequest:
    """The board's answer (Act s.20, s.21; Regs reg 11). Publishes `HealthInputReceived` with
    the outcome code only; the service named and the notes stay here."""
    request = await read_request(uow, viewer=viewer, request_id=request_id, purpose="POST response")
    # A lifted limit (reg 11(3)) does not end the duty to answer: impractical may still respond.
    _refuse_unless_owed(request)
    request.status = RequestStatus.RESPONDED
    request.outcome = answer.outcome
    request.service = answer.service if answer.outcome == "service-identified" else None
    request.welsh_delivery = answer.welsh_delivery
    request.clinical_notes = answer.notes
    request.answered_on, request.answered_by = today, viewer.principal.subject
    # the answer is the duty done: the clock is met, late or not (docs/rules.md, "Met")
    request.clock_state = "met"
    request.updated_at = datetime.now(UTC)
    uow.session.add(request)
    uow.audit(
        action="command",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=f"respond: {answer.outcome}",
    )
    uow.add_event(
        HealthInputReceived(
            case_id=request.case_id,
            request_id=request.request_id,
            outcome=answer.outcome,
            welsh_delivery=answer.welsh_delivery,
            answered_on=today,
        ),
        event_id=f"health-{request.request_id}-received",
        subject=request.case_id,
    )
    return request


async def record_impractical(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    request_id: str,
    reason: str,
    today: date,
) -> HealthInputRequest:
    """Regs reg 11(3): the 6 weeks do not apply where meeting them is impractical for reasons
    beyond the board's control. The reason stays here; the event says only that it happened."""
    request = await read_request(
        uow, viewer=viewer, request_id=request_id, purpose="POST impractical"
    )
    _refuse_unless_owed(request)
    if request.status == RequestStatus.IMPRACTICAL:
        raise Conflict("already-impractical", impractical_on=str(request.impractical_on))
    request.status = RequestStatus.IMPRACTICAL
    request.impractical_reason, request.impractical_on = reason, today
    request.updated_at = datetime.now(UTC)
    uow.session.add(request)
    uow.audit(
        action="command",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose="impractical (Regs reg 11(3))",
    )
    uow.add_event(
        HealthInputImpractical(
            case_id=request.case_id, request_id=request.request_id, recorded_on=today
        ),
        event_id=f"health-{request.request_id}-impractical",
        subject=request.case_id,
    )
    return request
