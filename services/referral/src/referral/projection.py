"""The case list's projection of the journey's events (`ClockStarted`, `ClockChanged`,
`ClockMet`, `StateChanged`, and the rest for the timeline). The journey stays the authority;
this is what lets the list sort and filter by due date without asking every workflow."""

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import (
    AlnDecided,
    AppealWindowOpened,
    CaseClosed,
    ClockChanged,
    ClockMet,
    ClockStarted,
    DeadlineEvent,
    Event,
    HealthInputReceived,
    HealthInputRequested,
    HealthInputWithdrawn,
    ReferredToLa,
    StateChanged,
)
from llwybr_contracts.states import DecidingBody
from llwybr_contracts.vocabulary import WINDOW_RULES
from referral.intake import CLOCK_NOT_COMPUTED
from referral.models import Case, CaseClock, CaseHealthAnswer, TimelineEntry

log = logging.getLogger(__name__)

CLOCK_CHANGE_STATUS = {
    "paused": "paused",
    "resumed": "running",
    "lifted": "lifted",
    "recomputed": None,
}


async def apply(session: AsyncSession, envelope: CloudEvent, event: Event) -> None:
    case_id = getattr(event, "case_id", None)
    case = await session.get(Case, case_id) if case_id else None
    if case is None:
        log.warning(
            "journey event for a case this service does not hold", extra={"type": envelope.type}
        )
        return
    if isinstance(event, StateChanged):
        case.state = event.state.value
    elif isinstance(event, ReferredToLa):
        # Act s.12(2): the school referred; the LA now decides under s.13
        case.deciding_body = DecidingBody.LOCAL_AUTHORITY.value
        case.deciding_authority = event.authority
    elif isinstance(event, AlnDecided):
        case.deciding_body = event.deciding_body.value  # an LA reconsideration decides (s.26)
    elif isinstance(event, ClockStarted | ClockChanged | ClockMet):
        await _clock(session, case, event)
    elif isinstance(event, HealthInputReceived):
        # the board's s.20 answer, for the LA's case view without asking health-liaison
        session.add(
            CaseHealthAnswer(
                request_id=event.request_id,
                case_id=case.id,
                outcome=event.outcome,
                welsh_delivery=event.welsh_delivery,
                answered_on=event.answered_on,
            )
        )
    session.add(
        TimelineEntry(
            id=str(uuid.uuid4()),
            case_id=case.id,
            at=envelope.time,
            kind=event.event_name(),
            detail=_detail(event),
            event_id=envelope.id,
        )
    )
    case.updated_at = datetime.now(UTC)
    session.add(case)


async def _clock(
    session: AsyncSession, case: Case, event: ClockStarted | ClockChanged | ClockMet
) -> None:
    subject = event.request_id or ""
    row = (
        await session.exec(
            select(CaseClock).where(
                CaseClock.case_id == case.id,
                CaseClock.rule == event.rule,
                CaseClock.subject == subject,
            )
        )
    ).first()
    if row is None:
        row = CaseClock(id=str(uuid.uuid4()), case_id=case.id, rule=event.rule, subject=subject)
    row.due = event.due
    row.calendar_version = event.calendar_version or row.calendar_version
    if isinstance(event, ClockStarted):
        row.start, row.status, row.met_on = event.start, "running", None
        if event.due is not None and event.rule == case.first_rule:
            # the journey counted the first clock after all (its calendar changed since
            # intake counted): its answer wins, the flag goes
            case.flags = [f for f in case.flags if f != CLOCK_NOT_COMPUTED]
    elif isinstance(event, ClockChanged):
        row.status = CLOCK_CHANGE_STATUS[event.change] or row.status
        if event.change == "paused":
            row.due = None  # unknown while the pause is open (docs/rules.md, section 1)
    else:
        row.status, row.met_on = "met", event.met_on
    session.add(row)
    await session.flush()
    # the list sorts on the next duty someone owes; a party's window (an appeal) is shown
    # among the case's clocks but never sorted on: once its date passes it has closed, and
    # nobody is late (docs/rules.md#windows)
    running = (
        await session.exec(
            select(CaseClock)
            .where(CaseClock.case_id == case.id, CaseClock.status == "running")
            .where(col(CaseClock.due).is_not(None), col(CaseClock.rule).not_in(WINDOW_RULES))
            .order_by(col(CaseClock.due))
        )
    ).first()
    case.next_rule = running.rule if running else None
    case.next_due = running.due if running else None


def _detail(event: Event) -> str:
    """Codes and dates for the timeline, never free text."""
    if isinstance(event, StateChanged):
        return f"{event.previous or '-'} -> {event.state}"
    if isinstance(event, ClockStarted | ClockChanged | ClockMet):
        change = f" {event.change}" if isinstance(event, ClockChanged) else ""
        # the reason is a code (a pause's legal reason), so the case page can say it in words
        why = f" because {event.reason}" if isinstance(event, ClockChanged) and event.reason else ""
        return f"{event.rule}{change} due {event.due or 'none'}{why}"
    if isinstance(event, DeadlineEvent):
        return f"{event.rule} due {event.due}, level {event.escalation_level}, alert {event.alert_role} of {event.alert_scope}"
    if isinstance(event, AlnDecided):
        return (
            f"{'ALN' if event.has_aln else 'no ALN'} by {event.deciding_body} on {event.decided_on}"
        )
    if isinstance(event, ReferredToLa):
        return f"to {event.authority} on {event.referred_on}"
    if isinstance(event, HealthInputRequested | HealthInputWithdrawn):
        return f"request {event.request_id}"
    if isinstance(event, HealthInputReceived):
        welsh = {True: "yes", False: "no", None: "-"}[event.welsh_delivery]
        return f"request {event.request_id}: {event.outcome}, Welsh {welsh}, on {event.answered_on}"
    if isinstance(event, AppealWindowOpened):
        return f"notice {event.notice_given_on}, appeal by {event.due}"
    if isinstance(event, CaseClosed):
        return f"{event.reason} on {event.closed_on}"
    return ""


async def rebuild(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Event]]
) -> tuple[int, int]:
    """Rebuild the case list's projection from the journey's events, in the order given (the
    topic's order per case): each case they name loses its projected clocks and the timeline
    entries of these events, then every event is applied again. Intake's own fields (the
    routing, the school) stay as intake wrote them until an event changes them. Returns
    (events applied, cases)."""
    cases = {c for _, e in events if (c := getattr(e, "case_id", None))}
    ids = [envelope.id for envelope, _ in events]
    for chunk in range(0, len(ids), 1000):
        await session.exec(  # type: ignore[call-overload]
            delete(TimelineEntry).where(col(TimelineEntry.event_id).in_(ids[chunk : chunk + 1000]))
        )
    held = set()
    for case_id in sorted(cases):
        case = await session.get(Case, case_id)
        if case is None:
            continue
        held.add(case_id)
        await session.exec(delete(CaseClock).where(col(CaseClock.case_id) == case_id))  # type: ignore[call-overload]
        case.next_rule, case.next_due = None, None
        session.add(case)
    await session.flush()
    applied = 0
    for envelope, event in events:
        if getattr(event, "case_id", None) in held:
            await apply(session, envelope, event)
            applied += 1
    return applied, len(held)
