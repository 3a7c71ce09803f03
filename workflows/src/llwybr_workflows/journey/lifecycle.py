"""The journey's own life, pure: it starts, loads its calendars (and loads them again when
they change), raises its alarms, answers `status` and hands its state to the next run."""

from datetime import date, datetime, timedelta

from llwybr_clock import ClockError
from llwybr_contracts import journey as j
from llwybr_contracts.events import (
    DeadlineAtRisk,
    JourneyStarted,
)
from llwybr_contracts.journey import ClockView, JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Role, RuleId
from llwybr_workflows.journey.clockbook import WARNING_HOUR, ClockBook, local
from llwybr_workflows.journey.contracts import (
    CaseSetup,
)
from llwybr_workflows.journey.state import JourneyState
from llwybr_workflows.journey.step import (
    SEEN_LIMIT,
    TIMELINE_LIMIT,
    Outcome,
    Step,
    no_alerts,
)

ADVOCATE_DAYS_LEFT = 10  # an accepted advocate is alerted this many days before the window shuts

# -- starting ----------------------------------------------------------------------------------


def start(journey: JourneyInput, now: datetime, workflow_id: str) -> Outcome:
    """A new journey announces itself; its calendars are not loaded yet."""
    step = Step(JourneyState(journey=journey, state=journey.state), now)
    step.emit(
        JourneyStarted(
            case_id=journey.case_id,
            workflow_id=workflow_id,
            state=journey.state,
            authority=journey.authority,
        )
    )
    return step.done()


def decision_rule(s: JourneyState) -> str:
    """The routed clock, else Act s.11 (school) / s.13 (LA) by the deciding body."""
    if s.journey.first_rule:
        return s.journey.first_rule
    if s.deciding_body == DecidingBody.SCHOOL:
        return RuleId.SCHOOL_DECISION
    if s.deciding_body == DecidingBody.FEI:
        return RuleId.FEI_DECISION  # [assumed] docs/rules.md s.1
    return RuleId.LA_DECISION


def begin(
    s: JourneyState, setup: CaseSetup, now: datetime, *, token_roles: bool = False
) -> Outcome:
    """The first run's calendars are loaded: the routed decision clock starts. `token_roles`:
    this journey's alerts name roles as tokens do (journeys from before keep the old names)."""
    journey = s.journey
    step = Step(
        s.model_copy(
            update={
                "setup": setup,
                "deciding_body": journey.deciding_body,
                "deciding_authority": journey.deciding_authority,
                "token_roles": token_roles,
                "detained": journey.detained,
            }
        ),
        now,
    )
    if journey.state == CaseState.DECISION_PENDING:
        step.start_clock(decision_rule(step.s), journey.clock_start or journey.received_on)
    return step.done()


def adopt_setup(s: JourneyState, setup: CaseSetup) -> JourneyState:
    """Calendars loaded for a carried state that had none: every clock worked out on them."""
    book = ClockBook(setup, s.journey.case_id, no_alerts)
    for record in s.clocks:
        book.put(record)
    return s.model_copy(update={"setup": setup, "clocks": tuple(book.records.values())})


def recalendar(s: JourneyState, setup: CaseSetup, now: datetime) -> Outcome:
    """CalendarChanged (or a new run): every clock recomputed on the new snapshots; an open
    clock whose due date moved is announced."""
    step = Step(s, now)
    old = step.require_book()
    step.set(setup=setup)
    new = ClockBook(setup, s.journey.case_id, step.resolve)
    for record in old.records.values():
        try:
            updated = new.put(record)
        except ClockError:
            new.records[record.key] = record  # keep the old answer rather than lose a clock
            continue
        if old.is_open(record) and updated.last_due != record.last_due and record.alarms:
            step.book = new
            step.changed(updated, record.last_due, "recomputed", "calendar-changed")
    step.book = new
    return step.done()


def for_next_run(s: JourneyState, seq: int) -> JourneyState:
    """What the next run carries: met and lifted clocks go (the query has shown them)."""
    book = ClockBook(s.setup, s.journey.case_id, no_alerts) if s.setup else None
    clocks = tuple(r for r in s.clocks if book is None or book.is_open(r))
    return s.model_copy(
        update={
            "clocks": clocks,
            "seq": seq,
            "seen": s.seen[-SEEN_LIMIT:],
            "timeline": s.timeline[-TIMELINE_LIMIT:],
            "exception_ids": s.exception_ids[-SEEN_LIMIT:],
        }
    )


# -- time --------------------------------------------------------------------------------------


def advocate_alarm(s: JourneyState) -> tuple[datetime, date] | None:
    """When the accepted advocate is told the family's appeal window has 10 days left with no
    appeal lodged (docs/rules.md section 7 [assumed: a service level]), and that window's due
    date; None when there is no advocate, no open window, or the alert went for this date."""
    if s.advocacy_provider is None or s.appeal_lodged or s.setup is None or s.closed:
        return None
    book = ClockBook(s.setup, s.journey.case_id, no_alerts)
    book.records = {r.key: r for r in s.clocks}
    record = book.get(RuleId.TRIBUNAL_APPEAL)
    if record is None or not book.is_open(record):
        return None
    due = book.clock(record).due()
    if due is None or due.isoformat() in s.advocate_alerts:
        return None
    return local(due - timedelta(days=ADVOCATE_DAYS_LEFT), WARNING_HOUR), due


DUTIES_ENDED = "duties-ended-age-25"  # CaseClosed reason


def duties_end_alarm(s: JourneyState) -> datetime | None:
    """00:00 after the end of the academic year in which the learner turns 25, when the duties
    under the Act end (docs/rules.md s.6, Age [assumed]); None for journeys started without it
    (their inputs carry no `duties_end`, so their histories replay unchanged)."""
    if s.journey.duties_end is None or s.closed or s.setup is None:
        return None
    return local(s.journey.duties_end + timedelta(days=1))


def next_alarm(s: JourneyState, now: datetime) -> datetime | None:
    if s.setup is None:
        return None
    found = Step(s, now).require_book().next_alarm(now)
    if (advocate := advocate_alarm(s)) is not None:
        found = advocate[0] if found is None else min(found, advocate[0])
    if (ended := duties_end_alarm(s)) is not None:
        found = ended if found is None else min(found, ended)
    return found


def next_due(s: JourneyState) -> date | None:
    if s.setup is None:
        return None
    book = ClockBook(s.setup, s.journey.case_id, no_alerts)
    book.records = {r.key: r for r in s.clocks}
    return book.next_due()


def fire_alarms(s: JourneyState, now: datetime) -> Outcome:
    """Deadline events for every alarm now past; a family's window that ran out with nothing
    asked or lodged closes a no-ALN or ceasing case (docs/rules.md)."""
    step = Step(s, now)
    advocate = advocate_alarm(s)
    if advocate is not None and advocate[0] <= now:
        due = advocate[1]
        step.set(advocate_alerts=(*s.advocate_alerts, due.isoformat())[-SEEN_LIMIT:])
        assert s.advocacy_provider is not None
        step.emit(
            DeadlineAtRisk(
                case_id=s.journey.case_id,
                rule=RuleId.TRIBUNAL_APPEAL,
                due=due,
                alert_role=Role.ADVOCATE,
                alert_scope=s.advocacy_provider,
            )
        )
    book = step.require_book()
    for record in book.pauses_opening(now):
        # a planned pause takes effect on its FROM date: announced then (docs/rules.md#pauses)
        clock = book.clock(record)
        assert clock.paused_from is not None
        before = clock.due(clock.paused_from - timedelta(days=1))
        reason = next(e.reason for e in reversed(record.exceptions) if e.action == "pause")
        step.changed(record, before, "paused", reason)
    for fired in book.fire(now):
        for event in fired.events:
            step.emit(event)
        if fired.stage != "breached":
            continue
        rule = fired.record.rule
        if rule == RuleId.TRIBUNAL_APPEAL and not step.s.appeal_lodged:
            if step.s.state in (CaseState.NO_ALN, CaseState.CEASING):
                step.close("appeal-window-expired", step.today)
        elif rule == RuleId.CEASE_RECONSIDER_REQUEST and step.s.state == CaseState.CEASING:
            step.close("ceased", step.today)
        elif rule == RuleId.TRIBUNAL_REVIEW_APPLICATION and step.s.close_after_review:
            # ETW Regs reg 53: no party asked for a review in time; the decision stands
            step.close("appeal-decided", step.today)
    ended = duties_end_alarm(step.s)
    if ended is not None and ended <= now and s.journey.duties_end is not None:
        step.close(DUTIES_ENDED, s.journey.duties_end)
    return step.done()


def status(s: JourneyState, now: datetime, published: int) -> j.JourneyStatus:
    clocks: list[ClockView] = []
    if s.setup is not None:
        step = Step(s, now)
        book = step.require_book()
        clocks = [book.view(r, step.today) for r in book.records.values()]
    return j.JourneyStatus(
        case_id=s.journey.case_id,
        state=s.state,
        deciding_body=s.deciding_body,
        deciding_authority=s.deciding_authority,
        clocks=clocks,
        timeline=list(s.timeline),
        events_published=published,
    )
