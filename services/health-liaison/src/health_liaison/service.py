"""What the health-liaison service does. Every function is keyword-only and works inside the
caller's one transaction: state, audit record and outbox rows commit together or not at all."""

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

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
    ResponseBody,
)
from health_liaison.routing import board_for, health_response_due
from llwybr_clock.shipped import find_authority
from llwybr_common.audit import audit
from llwybr_common.auth import Principal
from llwybr_common.outbox import add_event
from llwybr_common.problems import Problem
from llwybr_contracts.events import (
    HealthInputImpractical,
    HealthInputReceived,
    HealthInputRequested,
)

log = logging.getLogger(__name__)

WALES = ZoneInfo("Europe/London")
NO_DUE = date(9999, 12, 31)  # sorts requests with no due date (paused, lifted) last


def wales_today() -> date:
    """Every date is a date in Wales (ALN_RULES.md section 1, time zone)."""
    return datetime.now(WALES).date()


def is_overdue(request: HealthInputRequest, today: date) -> bool:
    # Due all day on the due date; breached from 00:00 the next day (ALN_RULES.md section 1).
    return request.status in AWAITING_ANSWER and request.due is not None and today > request.due


def days_remaining(request: HealthInputRequest, today: date) -> int | None:
    """Calendar days to the due date, negative once overdue (issue 6)."""
    return None if request.due is None else (request.due - today).days


# --- from the journey -------------------------------------------------------------------------


async def open_request(
    session: AsyncSession, *, event: HealthInputRequested
) -> HealthInputRequest | None:
    """Route a s.20 request to the board for the learner's authority; a repeat is a no-op."""
    if await session.get(HealthInputRequest, event.request_id) is not None:
        return None
    # Accept the authority by ONS code or name (ALN_RULES.md section 5); keep the code.
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
    raw = json.dumps({"d": (request.due or NO_DUE).isoformat(), "i": request.request_id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        return date.fromisoformat(body["d"]), str(body["i"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise Problem(
            422,
            "The request is not valid",
            "cursor: not a cursor this service gave",
            type_="validation",
            errors=[{"field": "cursor", "reason": "not a cursor this service gave"}],
        ) from exc


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
    if filters.assigned_to:
        query = query.where(HealthInputRequest.assigned_to == filters.assigned_to)
    if filters.overdue is not None:
        late = and_(
            col(HealthInputRequest.status).in_([s.value for s in AWAITING_ANSWER]),
            col(HealthInputRequest.due).is_not(None),
            col(HealthInputRequest.due) < today,
        )
        query = query.where(late if filters.overdue else ~late)
    if cursor:
        after_due, after_id = decode_cursor(cursor)
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


class NotVisible(Exception):
    """No such request, or not the caller's to see: answered 404 (existence is not disclosed),
    and audited as a denied read in a transaction of its own."""

    def __init__(self, *, resource: str, resource_id: str, case_id: str | None) -> None:
        super().__init__(f"no {resource} {resource_id} for you")
        self.resource, self.resource_id, self.case_id = resource, resource_id, case_id


async def read_request(
    session: AsyncSession, *, viewer: Viewer, request_id: str, purpose: str
) -> HealthInputRequest:
    """One request the viewer may see, its read audited."""
    request = await session.get(HealthInputRequest, request_id)
    if request is None or not viewer.may_see(request):
        raise NotVisible(
            resource="health-request",
            resource_id=request_id,
            case_id=request.case_id if request else None,
        )
    audit(
        session,
        viewer.principal,
        action="read",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=purpose,
    )
    return request


async def request_of_case(
    session: AsyncSession, *, viewer: Viewer, case_id: str
) -> HealthInputRequest:
    """A board reaches a learner only through a request of its own for that case."""
    found = (
        await session.exec(
            select(HealthInputRequest)
            .where(
                HealthInputRequest.case_id == case_id,
                col(HealthInputRequest.board).in_(sorted(viewer.boards)),
            )
            .limit(1)
        )
    ).first()
    if found is None or not viewer.is_health:
        raise NotVisible(resource="learner", resource_id=case_id, case_id=None)
    return found


async def stored_learner(session: AsyncSession, *, case_id: str) -> LearnerDetails | None:
    return await session.get(LearnerDetails, case_id)


async def keep_learner(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    nhs_number: str | None,
    source: str,
    purpose: str,
) -> LearnerDetails:
    """Keep what the sharing agreement allows (name, date of birth, NHS number), audited."""
    details = await session.get(LearnerDetails, case_id) or LearnerDetails(
        case_id=case_id, source=source, fetched_at=datetime.now(UTC)
    )
    details.given_name = given_name if given_name is not None else details.given_name
    details.family_name = family_name if family_name is not None else details.family_name
    details.date_of_birth = date_of_birth if date_of_birth is not None else details.date_of_birth
    details.nhs_number = nhs_number if nhs_number is not None else details.nhs_number
    details.source, details.fetched_at = source, datetime.now(UTC)
    session.add(details)
    audit(
        session,
        principal,
        action="update",
        resource="learner",
        resource_id=case_id,
        case_id=case_id,
        purpose=purpose,
    )
    return details


def audit_learner_read(
    session: AsyncSession, *, principal: Principal, case_id: str, purpose: str
) -> None:
    audit(
        session,
        principal,
        action="read",
        resource="learner",
        resource_id=case_id,
        case_id=case_id,
        purpose=purpose,
    )


# --- the board acts ---------------------------------------------------------------------------


def _refuse_unless_owed(request: HealthInputRequest, *, doing: str) -> None:
    """Answering twice, or after withdrawal, is refused with the reason (issue 6)."""
    if request.status == RequestStatus.WITHDRAWN:
        raise Problem(
            409,
            "The request was withdrawn",
            f"cannot {doing}: the request was withdrawn on {request.withdrawn_on}",
            type_="request-withdrawn",
        )
    if request.status == RequestStatus.RESPONDED:
        raise Problem(
            409,
            "The request is already answered",
            f"cannot {doing}: the board answered on {request.answered_on} ({request.outcome})",
            type_="already-answered",
        )


async def assign(
    session: AsyncSession,
    *,
    viewer: Viewer,
    request_id: str,
    kind: str,
    assignee: str,
    today: date,
) -> HealthInputRequest:
    request = await read_request(
        session, viewer=viewer, request_id=request_id, purpose="POST assign"
    )
    _refuse_unless_owed(request, doing="assign it")
    request.assigned_kind, request.assigned_to, request.assigned_on = kind, assignee, today
    if request.status == RequestStatus.OPEN:
        request.status = RequestStatus.ASSIGNED
    request.updated_at = datetime.now(UTC)
    session.add(request)
    audit(
        session,
        viewer.principal,
        action="update",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=f"assign to {kind}",
    )
    return request


def same_answer(request: HealthInputRequest, answer: ResponseBody) -> bool:
    """Whether `answer` is the answer the request already holds."""
    return request.status == RequestStatus.RESPONDED and (
        request.outcome,
        request.service,
        request.welsh_delivery,
        request.clinical_notes,
    ) == (answer.outcome, answer.service, answer.welsh_delivery, answer.notes)


async def respond(
    session: AsyncSession,
    *,
    viewer: Viewer,
    request_id: str,
    answer: ResponseBody,
    today: date,
    source: str,
) -> HealthInputRequest:
    """The board's answer (Act s.20, s.21; Regs reg 11). Publishes `HealthInputReceived` with
    the outcome code only; the service named and the notes stay here."""
    request = await read_request(
        session, viewer=viewer, request_id=request_id, purpose="POST response"
    )
    # A lifted limit (reg 11(3)) does not end the duty to answer: impractical may still respond.
    _refuse_unless_owed(request, doing="answer it")
    request.status = RequestStatus.RESPONDED
    request.outcome = answer.outcome
    request.service = answer.service if answer.outcome == "service-identified" else None
    request.welsh_delivery = answer.welsh_delivery
    request.clinical_notes = answer.notes
    request.answered_on, request.answered_by = today, viewer.principal.subject
    request.updated_at = datetime.now(UTC)
    session.add(request)
    audit(
        session,
        viewer.principal,
        action="command",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose=f"respond: {answer.outcome}",
    )
    add_event(
        session,
        HealthInputReceived(
            case_id=request.case_id,
            request_id=request.request_id,
            outcome=answer.outcome,
            welsh_delivery=answer.welsh_delivery,
            answered_on=today,
        ),
        event_id=f"health-{request.request_id}-received",
        source=source,
        subject=request.case_id,
    )
    return request


async def record_impractical(
    session: AsyncSession,
    *,
    viewer: Viewer,
    request_id: str,
    reason: str,
    today: date,
    source: str,
) -> HealthInputRequest:
    """Regs reg 11(3): the 6 weeks do not apply where meeting them is impractical for reasons
    beyond the board's control. The reason stays here; the event says only that it happened."""
    request = await read_request(
        session, viewer=viewer, request_id=request_id, purpose="POST impractical"
    )
    _refuse_unless_owed(request, doing="record it as impractical")
    if request.status == RequestStatus.IMPRACTICAL:
        raise Problem(
            409,
            "Already recorded as impractical",
            f"the board recorded the 6 weeks as impractical on {request.impractical_on}",
            type_="already-impractical",
        )
    request.status = RequestStatus.IMPRACTICAL
    request.impractical_reason, request.impractical_on = reason, today
    request.updated_at = datetime.now(UTC)
    session.add(request)
    audit(
        session,
        viewer.principal,
        action="command",
        resource="health-request",
        resource_id=request.request_id,
        case_id=request.case_id,
        purpose="impractical (Regs reg 11(3))",
    )
    add_event(
        session,
        HealthInputImpractical(
            case_id=request.case_id, request_id=request.request_id, recorded_on=today
        ),
        event_id=f"health-{request.request_id}-impractical",
        source=source,
        subject=request.case_id,
    )
    return request
