"""The journey's rules, pure: no Temporal, no I/O, no wall clock.

One function per update and signal of `IdpJourney` (workflows/README.md lists them): each takes
the `JourneyState`, the message and `now` (the moment the workflow is at; dates are read in
Wales from it) and returns an `Outcome` (the next state, the events to publish, whether the
timer must wake) or, for an update, a `Refusal` with a reason code. The workflow only loads
calendars, runs the timer, calls these and publishes what they return.

The journey itself is the Act's (Additional Learning Needs and Education Tribunal (Wales) Act
2018) and the ALN Regulations 2021, as set out in docs/rules.md: consent pending (young
people), decision pending under the deciding body's clock, referred to the LA, no ALN or ALN,
IDP in preparation, IDP active with its review cycle, ceasing, closed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from llwybr_clock import ClockError
from llwybr_contracts import journey as j
from llwybr_contracts.events import (
    AlnDecided,
    AppealWindowOpened,
    CaseClosed,
    ClockChanged,
    ClockMet,
    ClockStarted,
    Event,
    JourneyStarted,
    ReferredToLa,
    StateChanged,
)
from llwybr_contracts.journey import ClockView, HealthInputOutcome, JourneyInput, TimelineEntry
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Refusal, RefusalCode, RuleId
from llwybr_workflows.journey.clockbook import ClockBook, nhs_impractical_lift, wales_date
from llwybr_workflows.journey.contracts import (
    CaseSetup,
    ClockRecord,
    ExceptionRecord,
    HealthInputStart,
    HealthRequestRecord,
)
from llwybr_workflows.journey.ladder import alert_target
from llwybr_workflows.journey.seen import SeenEvents
from llwybr_workflows.journey.state import JourneyState

SEEN_LIMIT = 1000  # event ids remembered (bridge redeliveries arrive within minutes)
TIMELINE_LIMIT = 200
DECISION_RULES = (
    RuleId.SCHOOL_DECISION,
    RuleId.LA_DECISION,
    RuleId.LA_NOT_NECESSARY,
    RuleId.DETENTION_RELEASE,
)
RECONSIDERATION_RULES = (RuleId.LA_RECONSIDER_DECISION, RuleId.LA_RECONSIDER_IDP)


@dataclass(frozen=True)
class Outcome:
    state: JourneyState
    events: tuple[Event, ...] = ()
    detail: str = ""
    wake: bool = False  # something the timer waits on may have moved
    reload_calendars: bool = False
    continue_as_new: bool = False

    def accepted(self) -> j.CommandAccepted:
        return j.CommandAccepted(state=self.state.state, detail=self.detail)


M = TypeVar("M")
# the shape of every update's and every signal's rule: (state, message, now)
UpdateRule = Callable[[JourneyState, M, datetime], "Outcome | Refusal"]
FactRule = Callable[[JourneyState, M, datetime], Outcome]


def _no_alerts(role: str, record: ClockRecord) -> tuple[str, str]:
    return "", ""  # a book only read for due dates raises no deadline events


def _refuse(code: RefusalCode, **params: object) -> Refusal:
    return Refusal(code=code, params={k: str(v) for k, v in params.items()})


def _detail(event: Event) -> str:
    data = event.model_dump(mode="json")
    keys = ("rule", "state", "request_id", "due", "alert_role", "alert_scope", "change")
    return " ".join(f"{k}={data[k]}" for k in keys if data.get(k) is not None)


class _Step:
    """One step of the rules on a working copy of the state; `done()` freezes it again."""

    def __init__(self, s: JourneyState, now: datetime) -> None:
        self.s = s
        self.now = now
        self.today = wales_date(now)
        self.book: ClockBook | None = None
        if s.setup is not None:
            self.book = ClockBook(s.setup, s.journey.case_id, self._resolve)
            self.book.records = {r.key: r for r in s.clocks}
        self.health = {h.request_id: h for h in s.health_requests}
        self.timeline = list(s.timeline)
        self.events: list[Event] = []
        self.wake = False
        self.go = True

    def set(self, **changes: object) -> None:
        self.s = self.s.model_copy(update=changes)

    def done(self, detail: str = "", **flags: bool) -> Outcome:
        update: dict[str, object] = {
            "health_requests": tuple(self.health.values()),
            "timeline": tuple(self.timeline[-TIMELINE_LIMIT:]),
        }
        if self.book is not None:
            update["clocks"] = tuple(self.book.records.values())
        state = self.s.model_copy(update=update)
        return Outcome(state, tuple(self.events), detail, self.wake, **flags)

    # -- what a step does ----------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.note(self.today, event.event_name(), _detail(event))

    def note(self, on: date, kind: str, detail: str) -> None:
        self.timeline.append(TimelineEntry(on=on, kind=kind, detail=detail))

    def la(self) -> str:
        return self.s.deciding_authority or self.s.journey.authority

    def _resolve(self, role: str, record: ClockRecord) -> tuple[str, str]:
        assert self.s.setup is not None
        school_body = record.rule == RuleId.SCHOOL_DECISION or (
            record.rule in (RuleId.IDP_REVIEW, RuleId.CEASE_RECONSIDER_REQUEST)
            and self.s.maintainer == DecidingBody.SCHOOL
        )
        return alert_target(
            role,
            la=self.la(),
            board=self.s.setup.board,
            school_ref=self.s.journey.school_ref,
            school_body=school_body,
            token_roles=self.s.token_roles,
        )

    def require_book(self) -> ClockBook:
        assert self.book is not None, "the journey's calendars are not loaded yet"
        return self.book

    def set_state(self, state: CaseState) -> None:
        if state != self.s.state:
            previous = self.s.state
            self.set(state=state)
            self.emit(
                StateChanged(
                    case_id=self.s.journey.case_id, state=state, previous=previous, on=self.today
                )
            )
        self.wake = True

    def start_clock(
        self, rule: str, start: date, *, subject: str | None = None, alarms: bool = True
    ) -> ClockRecord | None:
        book = self.require_book()
        key = rule if subject is None else f"{rule}:{subject}"
        try:
            record = book.put(
                ClockRecord(key=key, rule=rule, start=start, subject=subject, alarms=alarms)
            )
        except ClockError as exc:
            # e.g. a school-day clock past the calendar's coverage (docs/rules.md: never fall
            # back to weekdays): shown on the timeline for an officer to fix (import a calendar)
            self.note(self.today, "ClockError", f"rule={rule} {type(exc).__name__}")
            return None
        if alarms:
            self.emit(
                ClockStarted(
                    case_id=self.s.journey.case_id,
                    rule=rule,
                    start=start,
                    due=record.last_due,
                    calendar_version=book.clock(record).calendar_version,
                    request_id=subject,
                )
            )
        self.wake = True
        return record

    def meet(self, key: str, on: date) -> None:
        book = self.require_book()
        record = book.get(key)
        if record is None or not book.is_open(record):
            return
        record = book.put(record.model_copy(update={"met_on": on}))
        if record.alarms:
            self.emit(
                ClockMet(
                    case_id=self.s.journey.case_id,
                    rule=record.rule,
                    due=book.clock(record.model_copy(update={"met_on": None})).due(),
                    calendar_version=book.clock(record).calendar_version,
                    request_id=record.subject,
                    met_on=on,
                )
            )
        self.wake = True

    def open_rule(self, rule: str) -> ClockRecord | None:
        book = self.require_book()
        record = book.get(rule)
        return record if record is not None and book.is_open(record) else None

    def first_open(self, rules: tuple[str, ...]) -> ClockRecord | None:
        for rule in rules:
            if (record := self.open_rule(rule)) is not None:
                return record
        return None

    def decision_clock(self) -> ClockRecord | None:
        return self.first_open(DECISION_RULES)

    def reconsideration(self) -> ClockRecord | None:
        return self.first_open(RECONSIDERATION_RULES)

    def open_appeal_window(self, notice_given_on: date) -> None:
        # Act s.70, ETW Regs reg 10: an LA decision opens the tribunal-appeal window from notice
        self.set(appeal_lodged=False)
        record = self.start_clock(RuleId.TRIBUNAL_APPEAL, notice_given_on)
        if record is None or record.last_due is None:
            return
        self.emit(
            AppealWindowOpened(
                case_id=self.s.journey.case_id,
                notice_given_on=notice_given_on,
                due=record.last_due,
            )
        )

    def close(self, reason: str, on: date) -> None:
        self.set_state(CaseState.CLOSED)
        self.emit(CaseClosed(case_id=self.s.journey.case_id, reason=reason, closed_on=on))
        self.set(closed=True)

    def changed(self, record: ClockRecord, before: date | None, change: str, reason: str) -> None:
        book = self.require_book()
        self.emit(
            ClockChanged(
                case_id=self.s.journey.case_id,
                rule=record.rule,
                due=record.last_due,
                calendar_version=book.clock(record).calendar_version,
                change=change,  # type: ignore[arg-type]
                reason=reason,  # type: ignore[arg-type]
                previous_due=before,
            )
        )

    def first_time(self, event_id: str) -> bool:
        seen = SeenEvents(self.s.seen, limit=SEEN_LIMIT)
        fresh = seen.first_time(event_id)
        self.set(seen=seen.ids())
        return fresh


# -- starting ----------------------------------------------------------------------------------


def start(journey: JourneyInput, now: datetime, workflow_id: str) -> Outcome:
    """A new journey announces itself; its calendars are not loaded yet."""
    step = _Step(JourneyState(journey=journey, state=journey.state), now)
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
    step = _Step(
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
    book = ClockBook(setup, s.journey.case_id, _no_alerts)
    for record in s.clocks:
        book.put(record)
    return s.model_copy(update={"setup": setup, "clocks": tuple(book.records.values())})


def recalendar(s: JourneyState, setup: CaseSetup, now: datetime) -> Outcome:
    """CalendarChanged (or a new run): every clock recomputed on the new snapshots; an open
    clock whose due date moved is announced."""
    step = _Step(s, now)
    old = step.require_book()
    step.set(setup=setup)
    new = ClockBook(setup, s.journey.case_id, step._resolve)
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
    book = ClockBook(s.setup, s.journey.case_id, _no_alerts) if s.setup else None
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
    return _Step(s, now).require_book().next_alarm(now)


def next_due(s: JourneyState) -> date | None:
    if s.setup is None:
        return None
    book = ClockBook(s.setup, s.journey.case_id, _no_alerts)
    book.records = {r.key: r for r in s.clocks}
    return book.next_due()


def fire_alarms(s: JourneyState, now: datetime) -> Outcome:
    """Deadline events for every alarm now past; a family's window that ran out with nothing
    asked or lodged closes a no-ALN or ceasing case (docs/rules.md)."""
    step = _Step(s, now)
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
        step = _Step(s, now)
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


# -- checks every update shares ----------------------------------------------------------------


def _open_and_past(
    s: JourneyState, now: datetime, *dates: tuple[str, date | None]
) -> Refusal | None:
    """A closed case accepts nothing; a fact recorded has happened (today or earlier in Wales);
    the rest waits for the calendars (JOURNEY_STARTING: the workflow holds the update)."""
    if s.closed:
        return _refuse(RefusalCode.CASE_CLOSED)
    today = wales_date(now)
    for name, day in dates:
        if day is not None and day > today:
            return _refuse(RefusalCode.DATE_IN_FUTURE, field=name, day=day, today=today)
    if not s.ready:
        return _refuse(RefusalCode.JOURNEY_STARTING)
    return None


# -- updates: human steps ----------------------------------------------------------------------


def record_consent(s: JourneyState, cmd: j.RecordConsent, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("on", cmd.on)):
        return refused
    if s.state != CaseState.CONSENT_PENDING:
        return _refuse(RefusalCode.CONSENT_NOT_PENDING, state=s.state)
    step = _Step(s, now)
    if cmd.answer == "refused":
        # Act s.11(3): a young person's refusal ends the duty, so the case closes
        step.close("consent-refused", cmd.on)
        return step.done("consent refused: case closed")
    rule = decision_rule(s)
    # for a young person the decision clock starts on consent (docs/rules.md)
    step.start_clock(rule, cmd.on)
    step.set_state(CaseState.DECISION_PENDING)
    return step.done(f"{rule} started {cmd.on.isoformat()}")


def refer_to_la(s: JourneyState, cmd: j.ReferToLa, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("referred_on", cmd.referred_on)):
        return refused
    step = _Step(s, now)
    if s.state != CaseState.DECISION_PENDING:
        return _refuse(RefusalCode.NOT_DECISION_PENDING, state=s.state)
    school = step.open_rule(RuleId.SCHOOL_DECISION)
    if school is None:
        return _refuse(RefusalCode.NO_SCHOOL_CLOCK, rule=RuleId.SCHOOL_DECISION)
    if cmd.referred_on < school.start:
        return _refuse(RefusalCode.REFERRED_BEFORE_CLOCK, start=school.start)
    # Act s.12(2): the school refers; the LA decides under s.13 on its own 12-week clock.
    # The school's s.11 duty is discharged by the referral: its clock is met that day.
    step.meet(RuleId.SCHOOL_DECISION, cmd.referred_on)
    step.set(deciding_body=DecidingBody.LOCAL_AUTHORITY, deciding_authority=cmd.authority)
    step.emit(
        ReferredToLa(
            case_id=s.journey.case_id, authority=cmd.authority, referred_on=cmd.referred_on
        )
    )
    step.start_clock(RuleId.LA_DECISION, cmd.referred_on)
    return step.done(f"la-decision started {cmd.referred_on.isoformat()}")


def record_decision(s: JourneyState, cmd: j.RecordDecision, now: datetime) -> Outcome | Refusal:
    dates = (("decided_on", cmd.decided_on), ("notice_given_on", cmd.notice_given_on))
    if refused := _open_and_past(s, now, *dates):
        return refused
    if cmd.outcome == "no-aln" and cmd.notice_given_on is None:
        return _refuse(RefusalCode.NOTICE_DATE_REQUIRED)
    step = _Step(s, now)
    reconsidering = step.reconsideration()
    if reconsidering is None:
        if s.state == CaseState.CONSENT_PENDING:
            return _refuse(RefusalCode.CONSENT_NOT_GIVEN)
        if s.state != CaseState.DECISION_PENDING or s.decided:
            return _refuse(RefusalCode.DECISION_ALREADY_RECORDED)
    body = s.deciding_body
    notice = cmd.notice_given_on or cmd.decided_on
    if reconsidering is not None:
        # Act ss.26, 27, 32: the LA's reconsideration outcome is an LA decision, appealable
        step.meet(reconsidering.key, notice)
        body = DecidingBody.LOCAL_AUTHORITY
        step.set(deciding_body=body)
    step.set(decided=True)
    step.emit(
        AlnDecided(
            case_id=s.journey.case_id,
            has_aln=cmd.outcome == "aln",
            deciding_body=body or DecidingBody.LOCAL_AUTHORITY,
            decided_on=cmd.decided_on,
        )
    )
    if s.state == CaseState.CEASING:
        if cmd.outcome == "aln":
            step.set_state(CaseState.IDP_ACTIVE)  # the plan is kept
        else:
            step.open_appeal_window(notice)  # Act s.70: ceasing confirmed by the LA
        return step.done()
    if reconsidering is not None and reconsidering.rule == RuleId.LA_RECONSIDER_IDP:
        step.open_appeal_window(notice)
        return step.done("IDP reconsideration decided")
    if cmd.outcome == "no-aln":
        # docs/rules.md "Met": the decision clock is met by the no-ALN notice
        if (clock := step.decision_clock()) is not None:
            step.meet(clock.key, notice)
        step.set_state(CaseState.NO_ALN)
        if body == DecidingBody.LOCAL_AUTHORITY:
            step.open_appeal_window(notice)  # Act s.70; a school's decision is not appealable
        return step.done()
    # ALN: the decision clock runs on until IdpIssued (docs/rules.md "Met"); after an LA
    # reconsideration the LA maintains the plan [assumed: Act s.14 lets it direct a school]
    step.set(maintainer=body)
    step.set_state(CaseState.IDP_IN_PREPARATION)
    return step.done()


def request_health_input(
    s: JourneyState, cmd: j.RequestHealthInput, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("sent_on", cmd.sent_on)):
        return refused
    if s.state == CaseState.CONSENT_PENDING:
        return _refuse(RefusalCode.CONSENT_NOT_GIVEN)
    step = _Step(s, now)
    if cmd.request_id in step.health:
        return _refuse(RefusalCode.HEALTH_REQUEST_EXISTS, request_id=cmd.request_id)
    step.health[cmd.request_id] = HealthRequestRecord(
        request_id=cmd.request_id, sent_on=cmd.sent_on
    )
    # a shadow of the HealthInput child's clock, shown by `status`; the child owns its timers
    step.start_clock(RuleId.HEALTH_RESPONSE, cmd.sent_on, subject=cmd.request_id, alarms=False)
    return step.done(f"health request {cmd.request_id} sent")


def health_input_start(s: JourneyState, cmd: j.RequestHealthInput) -> HealthInputStart:
    """The HealthInput child's input for an accepted request (Act s.20)."""
    assert s.setup is not None
    return HealthInputStart(
        case_id=s.journey.case_id,
        request_id=cmd.request_id,
        authority=s.journey.authority,
        la=s.deciding_authority or s.journey.authority,
        sent_on=cmd.sent_on,
        setup=s.setup,
    )


def withdraw_health_input(
    s: JourneyState, cmd: j.WithdrawHealthInput, now: datetime
) -> Outcome | Refusal:
    refused = _open_and_past(s, now, ("on", cmd.on))
    if refused is not None and refused.code != RefusalCode.JOURNEY_STARTING:
        return refused
    step = _Step(s, now)
    record = step.health.get(cmd.request_id)
    if record is None:
        return _refuse(RefusalCode.HEALTH_REQUEST_UNKNOWN, request_id=cmd.request_id)
    if record.outcome is not None:
        return _refuse(
            RefusalCode.HEALTH_REQUEST_ANSWERED,
            request_id=cmd.request_id,
            outcome=record.outcome,
        )
    step.health[cmd.request_id] = record.model_copy(update={"outcome": "withdrawn", "on": cmd.on})
    # a withdrawn request is not a duty done: its shadow clock goes, the timeline keeps it
    step.require_book().records.pop(f"{RuleId.HEALTH_RESPONSE}:{cmd.request_id}", None)
    step.note(cmd.on, "HealthInputWithdrawn", f"request_id={cmd.request_id}")
    return step.done(f"health request {cmd.request_id} withdrawn")


def _exception(cmd: j.RecordException, now: datetime) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id=cmd.exception_id,
        action=cmd.action,
        reason=cmd.reason,
        from_=cmd.from_,
        until=cmd.until,
        actor=cmd.actor,
        recorded_at=now,
    )


def record_exception(s: JourneyState, cmd: j.RecordException, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now):
        return refused
    if cmd.exception_id in s.exception_ids:
        return Outcome(s, detail=f"exception {cmd.exception_id} already recorded")
    if cmd.rule == RuleId.HEALTH_RESPONSE:
        # Regs reg 11(3): the NHS body's clock changes only by its own facts
        return _refuse(RefusalCode.CLOCK_NOT_ADJUSTABLE, rule=cmd.rule)
    step = _Step(s, now)
    book = step.require_book()
    record = step.open_rule(cmd.rule)
    if record is None:
        return _refuse(RefusalCode.CLOCK_NOT_RUNNING, rule=cmd.rule)
    if cmd.action == "pause" and cmd.until is not None and cmd.until < cmd.from_:
        return _refuse(RefusalCode.PAUSE_ENDS_BEFORE_START)
    before = book.clock(record).due()
    try:
        record = book.put(
            record.model_copy(update={"exceptions": (*record.exceptions, _exception(cmd, now))})
        )
    except ClockError as exc:  # e.g. a resume with no open pause
        return _refuse(
            RefusalCode.EXCEPTION_NOT_ALLOWED,
            rule=cmd.rule,
            action=cmd.action,
            reason=type(exc).__name__,
        )
    step.set(exception_ids=(*s.exception_ids, cmd.exception_id))
    change = {"pause": "paused", "resume": "resumed", "lift": "lifted"}[cmd.action]
    step.changed(record, before, change, cmd.reason)
    step.wake = True  # the timer follows the new due date at once
    due = record.last_due.isoformat() if record.last_due else "none"
    return step.done(f"{cmd.rule} {change}: due {due}")


def request_review(s: JourneyState, cmd: j.RequestReview, now: datetime) -> Outcome | Refusal:
    refused = _open_and_past(s, now, ("requested_on", cmd.requested_on))
    if refused is not None and refused.code != RefusalCode.JOURNEY_STARTING:
        return refused
    if s.state != CaseState.IDP_ACTIVE:
        return _refuse(RefusalCode.NO_ACTIVE_IDP, state=s.state)
    # Act s.24: a review on request; the review held arrives as IdpReviewed
    step = _Step(s, now)
    step.note(cmd.requested_on, "ReviewRequested", cmd.requested_by)
    return step.done("review requested")


def request_reconsideration(
    s: JourneyState, cmd: j.RequestReconsideration, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("received_on", cmd.received_on)):
        return refused
    step = _Step(s, now)
    if cmd.kind == "decision":
        if s.deciding_body != DecidingBody.SCHOOL or not s.decided:
            return _refuse(RefusalCode.ONLY_SCHOOL_DECISION)
        if step.open_rule(RuleId.LA_RECONSIDER_DECISION) is not None:
            return _refuse(RefusalCode.RECONSIDERATION_RUNNING)
        # Act s.26: the LA reconsiders a school's decision (7 weeks)
        step.start_clock(RuleId.LA_RECONSIDER_DECISION, cmd.received_on)
        return step.done("la-reconsider-decision started")
    if cmd.kind == "idp":
        if s.state != CaseState.IDP_ACTIVE or s.maintainer != DecidingBody.SCHOOL:
            return _refuse(RefusalCode.ONLY_SCHOOL_IDP)
        if step.open_rule(RuleId.LA_RECONSIDER_IDP) is not None:
            return _refuse(RefusalCode.RECONSIDERATION_RUNNING)
        # Act s.27: the LA reconsiders a school-maintained IDP
        step.start_clock(RuleId.LA_RECONSIDER_IDP, cmd.received_on)
        return step.done("la-reconsider-idp started")
    if step.open_rule(RuleId.CEASE_RECONSIDER_REQUEST) is None:
        return _refuse(RefusalCode.CLOCK_NOT_RUNNING, rule=RuleId.CEASE_RECONSIDER_REQUEST)
    # Regs reg 12, Act s.32: the family asked within the window; the LA's answer follows as a
    # decision (aln: the plan is kept; no-aln: ceasing confirmed)
    step.meet(RuleId.CEASE_RECONSIDER_REQUEST, cmd.received_on)
    step.start_clock(RuleId.LA_RECONSIDER_IDP, cmd.received_on)
    return step.done("cease reconsideration requested")


# -- signals: facts from other contexts (a seen event id changes nothing) ----------------------


def _fresh(s: JourneyState, event_id: str, now: datetime, *, needs_book: bool) -> _Step:
    """The step for a fact, its event id now seen. `go` is False for a fact seen before, a
    closed case, or a fact that needs clocks and came before the calendars (the workflow holds
    early facts until it is ready; only journeys from before that drop them)."""
    step = _Step(s, now)
    fresh = step.first_time(event_id)
    step.go = fresh and not s.closed and not (needs_book and step.book is None)
    return step


def idp_issued(s: JourneyState, fact: j.IdpIssuedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_IN_PREPARATION:
        # e.g. a plan re-issued after a reconsideration: its review clock runs on
        return step.done()
    # docs/rules.md "Met": an ALN decision clock is met when the IDP is issued
    if (clock := step.decision_clock()) is not None:
        step.meet(clock.key, fact.on)
    step.set_state(CaseState.IDP_ACTIVE)
    # Act ss.23-24: reviewed at least once in each 12-month period from the copy given
    step.start_clock(RuleId.IDP_REVIEW, fact.on)
    if s.maintainer == DecidingBody.LOCAL_AUTHORITY:
        step.open_appeal_window(fact.on)  # Act s.70: an LA's IDP is appealable
    return step.done()


def idp_reviewed(s: JourneyState, fact: j.IdpReviewedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_ACTIVE:
        return step.done()
    step.meet(RuleId.IDP_REVIEW, fact.on)
    if (r := step.open_rule(RuleId.LA_RECONSIDER_IDP)) is not None:
        step.meet(r.key, fact.on)
    step.set(reviews_held=s.reviews_held + 1)
    # Act s.24: the next period runs from the revised plan or no-revision notice
    step.require_book().records.pop(RuleId.IDP_REVIEW, None)
    step.start_clock(RuleId.IDP_REVIEW, fact.on)
    return step.done(continue_as_new=True)  # a new run for each review cycle


def idp_transferred(s: JourneyState, fact: j.IdpTransferredFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    # Act s.35: the plan follows the learner; its review clock runs on unchanged
    if fact.to_body.startswith("la:"):
        step.set(
            maintainer=DecidingBody.LOCAL_AUTHORITY,
            deciding_authority=fact.to_body.removeprefix("la:"),
        )
    elif fact.to_body.startswith("school:"):
        step.set(maintainer=DecidingBody.SCHOOL)
    step.note(fact.on, "IdpTransferred", fact.to_body)
    step.wake = True
    return step.done()


def idp_ceased(s: JourneyState, fact: j.IdpCeasedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_ACTIVE:
        return step.done()
    step.set_state(CaseState.CEASING)
    if s.maintainer == DecidingBody.SCHOOL:
        # Act s.32, Regs reg 12: 4 weeks to ask the LA to reconsider a school's decision
        step.start_clock(RuleId.CEASE_RECONSIDER_REQUEST, fact.on)
    else:
        step.open_appeal_window(fact.on)  # Act s.70: an LA's decision to cease is appealable
    return step.done()


def health_input_outcome(s: JourneyState, outcome: HealthInputOutcome, now: datetime) -> Outcome:
    step = _Step(s, now)
    record = step.health.get(outcome.request_id)
    if record is None or record.outcome is not None or step.book is None:
        return Outcome(s)
    step.health[outcome.request_id] = record.model_copy(
        update={"outcome": outcome.outcome, "on": outcome.on}
    )
    key = f"{RuleId.HEALTH_RESPONSE}:{outcome.request_id}"
    shadow = step.book.get(key)
    if shadow is None:
        return step.done()
    if outcome.outcome == "impractical":
        step.book.put(nhs_impractical_lift(shadow, outcome.on, now))
    else:
        step.meet(key, outcome.on)
    # docs/rules.md: an answer (or none) never pauses the decision clock by itself
    step.note(
        outcome.on,
        "HealthInputOutcome",
        f"request_id={outcome.request_id} outcome={outcome.outcome}",
    )
    return step.done()


def disagreement_raised(s: JourneyState, fact: j.DisagreementRaisedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go:
        return step.done()
    record = step.open_rule(RuleId.TRIBUNAL_APPEAL)
    if record is None or not fact.disagreement_resolution or record.disagreement_resolution:
        return step.done()
    # ETW Regs reg 14: Act s.68 disagreement resolution begun before the 8 weeks ran out
    if record.last_due is None or fact.raised_on > record.last_due:
        return step.done()
    before = record.last_due
    record = step.require_book().put(record.model_copy(update={"disagreement_resolution": True}))
    step.changed(record, before, "recomputed", "disagreement-resolution")
    step.wake = True
    return step.done()


def appeal_lodged(s: JourneyState, fact: j.AppealLodgedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go:
        return step.done()
    step.set(appeal_lodged=True)
    step.meet(RuleId.TRIBUNAL_APPEAL, fact.lodged_on)  # the duty timed is the appeal made
    return step.done()


def appeal_decided(s: JourneyState, fact: j.AppealDecidedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    step.note(fact.decided_on, "AppealDecided", fact.outcome)
    if s.state in (CaseState.NO_ALN, CaseState.CEASING) and fact.outcome != "aln":
        step.close("appeal-decided", fact.decided_on)
    step.wake = True
    return step.done()


def calendar_changed(s: JourneyState, fact: j.CalendarChangedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    step.wake = True
    return step.done(reload_calendars=True)
