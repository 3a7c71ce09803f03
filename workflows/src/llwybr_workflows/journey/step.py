"""One step of the journey's rules: a working copy of the `JourneyState` with the moves every
rule is made of (start a clock, meet it, change state, close the case, publish an event), and
the `Outcome` a rule returns. Pure: no Temporal, no I/O; `now` comes in from the workflow."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from llwybr_clock import ClockError
from llwybr_clock.wales import wales_date
from llwybr_contracts import journey as j
from llwybr_contracts.events import (
    AppealWindowOpened,
    CaseClosed,
    ClockChanged,
    ClockMet,
    ClockStarted,
    Event,
    StateChanged,
)
from llwybr_contracts.journey import TimelineEntry
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Refusal, RefusalCode, Role, RuleId
from llwybr_workflows.journey.clockbook import ClockBook
from llwybr_workflows.journey.contracts import (
    ClockRecord,
)
from llwybr_workflows.journey.ladder import OFFICER, alert_target
from llwybr_workflows.journey.seen import SeenEvents
from llwybr_workflows.journey.state import JourneyState

SEEN_LIMIT = 1000  # event ids remembered (bridge redeliveries arrive within minutes)
TIMELINE_LIMIT = 200
DECISION_RULES = (
    RuleId.SCHOOL_DECISION,
    RuleId.FEI_DECISION,
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


def no_alerts(role: str, record: ClockRecord) -> tuple[str, str]:
    return "", ""  # a book only read for due dates raises no deadline events


def refuse(code: RefusalCode, **params: object) -> Refusal:
    return Refusal(code=code, params={k: str(v) for k, v in params.items()})


def _detail(event: Event) -> str:
    data = event.model_dump(mode="json")
    keys = ("rule", "state", "request_id", "due", "alert_role", "alert_scope", "change")
    return " ".join(f"{k}={data[k]}" for k in keys if data.get(k) is not None)


class Step:
    """One step of the rules on a working copy of the state; `done()` freezes it again."""

    def __init__(self, s: JourneyState, now: datetime) -> None:
        self.s = s
        self.now = now
        self.today = wales_date(now)
        self.book: ClockBook | None = None
        if s.setup is not None:
            self.book = ClockBook(s.setup, s.journey.case_id, self.resolve)
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

    def resolve(self, role: str, record: ClockRecord) -> tuple[str, str]:
        assert self.s.setup is not None
        institution = self.s.journey.institution
        fei_body = record.rule == RuleId.FEI_DECISION or (
            record.rule == RuleId.IDP_REVIEW and self.s.maintainer == DecidingBody.FEI
        )
        if role == OFFICER and fei_body and institution:
            # the FEI's own clock alerts its ALNCo (Act s.60), as a school's alerts its own
            return Role.FEI_ALNCO, f"fei:{institution}"
        if role == OFFICER and record.rule == RuleId.FEI_TAKEOVER_RESPONSE and record.subject:
            return Role.FEI_ALNCO, f"fei:{record.subject}"  # the FEI asked to answer (reg 13)
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
