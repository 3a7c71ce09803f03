"""Referral intake end to end: check, record in one unit of work, start the journey (fast
path) and say when the first statutory clock falls due.

The due date is counted here by the journey's own pure clock (`llwybr_clock.first_clock`) on the
calendars the journey loads (referral.calendars), so the answer needs no round trip through the
workflow; the journey stays the authority and the case list follows its `ClockStarted`
(docs/rules.md, "The first clock at intake"). Without the calendars, intake waits briefly for
the journey's own answer instead.
"""

import logging
from datetime import date

from llwybr_clock import ClockError
from llwybr_clock.first_clock import calendar_school, first_clock
from llwybr_common.auth import Principal
from llwybr_common.errors import AccessDenied
from llwybr_common.unit_of_work import Transactions, unit_of_work
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState
from referral import access, service
from referral.calendars import CalendarSource
from referral.journey_client import Journey, clock_error, journey_clock
from referral.models import Case
from referral.schemas import FirstClockPublic, ReferralCreate, ReferralPublic

log = logging.getLogger(__name__)

CLOCK_NOT_COMPUTED = "clock-not-computed"


async def refer(
    rt: Transactions,
    journey: Journey,
    principal: Principal,
    body: ReferralCreate,
    *,
    today: date,
    calendars: CalendarSource | None = None,
    wait_seconds: float = 3.0,
) -> ReferralPublic:
    """A new case (`attached` false) or new information on the learner's open case."""
    if not access.can_refer(principal):
        raise AccessDenied("access.referral-role")
    if not access.may_refer(principal, body.referral_type.value):
        raise AccessDenied("access.referral-health-s64-only")  # Act s.64
    checked = service.check_referral(body, today=today, by_health_body=_health(principal))
    async with unit_of_work(rt, principal, purpose="POST /api/v1/referrals") as uow:
        intake = await service.receive_referral(uow, checked=checked)
    case = intake.case
    if intake.referral.attached:
        clock = FirstClockPublic(rule=case.next_rule, due=case.next_due)
        return _public(case, intake.referral.id, attached=True, clock=clock)
    # Fast path: start the journey now. The bridge starts it again from CaseOpened if this
    # fails, so a Temporal outage delays the journey but never loses the case.
    if intake.journey is not None:
        try:
            await journey.start(intake.journey)
        except Exception:
            log.warning("journey start deferred to the bridge", extra={"case_id": case.id})
    counted = None
    if calendars is not None and intake.journey is not None:
        counted = await _counted_clock(rt, calendars, case, intake.journey, today)
    first = counted or await _first_clock(rt, journey, case, wait_seconds)
    return _public(case, intake.referral.id, attached=False, clock=first)


def _health(principal: Principal) -> frozenset[str] | None:
    """The boards a health body refers for (Act s.64), or None for an education referrer."""
    if not access.refers_for_health_body(principal):
        return None
    return frozenset(principal.scoped("board"))


async def _counted_clock(
    rt: Transactions, source: CalendarSource, case: Case, journey: JourneyInput, today: date
) -> FirstClockPublic | None:
    """The first clock counted here, on the calendars the journey loads in the same year (its
    bank holidays run from the year before); None without them, or when no clock runs yet."""
    if not case.first_rule:
        return None
    found = await source.calendars(journey.authority, calendar_school(journey), today.year)
    if found is None:
        return None
    try:
        counted = first_clock(journey, school=found.school, bank=found.bank)
    except ClockError as exc:
        return await _not_counted(rt, case, type(exc).__name__)
    if counted is None or counted.due is None:
        return None
    return FirstClockPublic(rule=counted.rule, due=counted.due, assumed=counted.assumed)


async def _first_clock(
    rt: Transactions, journey: Journey, case: Case, wait_seconds: float
) -> FirstClockPublic:
    clock = FirstClockPublic(rule=case.first_rule, due=None)
    if not case.first_rule:
        clock.why_null = (
            "no clock runs until the young person's consent is recorded"
            if case.state == CaseState.CONSENT_PENDING.value
            else "the case is closed"
        )
        return clock
    view, status = await journey_clock(journey, case.id, case.first_rule, wait_seconds=wait_seconds)
    error = clock_error(status, case.first_rule) if status else None
    if view is not None and view.due is not None:
        return FirstClockPublic(rule=view.rule, due=view.due, assumed=view.assumed)
    if view is not None or error:
        return await _not_counted(rt, case, error)
    clock.why_null = (
        "the journey has not reported its clock yet"
        if status is None
        else "the journey has not started this clock yet"
    ) + f"; see GET /api/v1/cases/{case.id}"
    return clock


async def _not_counted(rt: Transactions, case: Case, error: str | None) -> FirstClockPublic:
    """No date, flagged for an officer: docs/rules.md, Coverage (never count weekdays)."""
    await _flag(rt, case, CLOCK_NOT_COMPUTED)
    return FirstClockPublic(
        rule=case.first_rule,
        due=None,
        why_null="the calendar does not cover the dates this clock needs"
        + (f" ({error})" if error else "")
        + "; an officer must check the authority's term dates",
    )


async def _flag(rt: Transactions, case: Case, flag: str) -> None:
    async with rt.session() as session:
        stored = await session.get(Case, case.id)
        if stored is not None and flag not in stored.flags:
            stored.flags = [*stored.flags, flag]
            session.add(stored)
    if flag not in case.flags:
        case.flags = [*case.flags, flag]


def _public(
    case: Case, referral_id: str, *, attached: bool, clock: FirstClockPublic
) -> ReferralPublic:
    return ReferralPublic(
        case_id=case.id,
        referral_id=referral_id,
        attached=attached,
        state=case.state,
        deciding_body=case.deciding_body,
        deciding_authority=case.deciding_authority,
        routing_reason=case.routing_reason,
        flags=list(case.flags),
        clock=clock,
        deciding_institution=case.institution_ukprn,
    )
