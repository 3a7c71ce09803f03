"""The journey's own life, pure: it starts, loads its calendars (and loads them again when
they change), raises its alarms, answers `status` and hands its state to the next run."""

from datetime import date, datetime

from llwybr_clock import ClockError
from llwybr_contracts import journey as j
from llwybr_contracts.events import (
    JourneyStarted,
)
from llwybr_contracts.journey import ClockView, JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows.journey.clockbook import ClockBook
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


def next_alarm(s: JourneyState, now: datetime) -> datetime | None:
    if s.setup is None:
        return None
    return Step(s, now).require_book().next_alarm(now)


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
    for fired in step.require_book().fire(now):
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
