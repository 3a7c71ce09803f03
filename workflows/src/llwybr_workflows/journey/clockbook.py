"""The clocks one workflow runs, their alarms and the deadline events those alarms raise.

Pure and deterministic (no I/O, no wall clock): the workflow passes `workflow.now()` in. Every
clock is a `ClockRecord` (plain data carried across continue-as-new) rebuilt into a
`StatutoryClock` from the recorded calendar snapshots; a recorded exception or a changed
calendar changes the record, and the next alarm follows from it (the "updatable timer").

Alarm times (docs/rules.md, "Time zone"): each warning date and the due date at 09:00
Europe/London; breached from 00:00 the day after the due date; escalation rungs at 00:00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from llwybr_clock import CalendarSnapshot, Lift, Pause, ReasonCode, Resume, StatutoryClock
from llwybr_clock.first_clock import calendar_for
from llwybr_clock.wales import WALES
from llwybr_contracts.events import (
    DeadlineAtRisk,
    DeadlineBreached,
    DeadlineDue,
    DeadlineEscalated,
    DeadlineEvent,
)
from llwybr_contracts.journey import ClockView
from llwybr_workflows.journey.contracts import CaseSetup, ClockRecord, ExceptionRecord, LadderStep

WARNING_HOUR = time(9, 0)
_EVENT = {
    "at-risk": DeadlineAtRisk,
    "due": DeadlineDue,
    "breached": DeadlineBreached,
    "escalated": DeadlineEscalated,
}
_LEVEL = {"at-risk": 0, "due": 1, "breached": 2}
MAX_FIRED = 64  # fired alarm keys kept per clock (oldest dropped)


def local(day: date, at: time = time(0, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=WALES)


def nhs_impractical_lift(record: ClockRecord, on: date, now: datetime) -> ClockRecord:
    """Regs reg 11(3): the NHS body finds it impractical to answer in time, so its
    `health-response` clock is lifted from `on` (the journey's shadow and the child's own)."""
    lift = ExceptionRecord(
        exception_id=f"{record.subject}-impractical",
        action="lift",
        reason="nhs-impractical",
        from_=on,
        actor="nhs-body",
        recorded_at=now,
    )
    return record.model_copy(update={"exceptions": (*record.exceptions, lift)})


@dataclass(frozen=True)
class Alarm:
    key: str
    when: datetime
    step: LadderStep
    level: int


@dataclass(frozen=True)
class Fired:
    record: ClockRecord
    stage: str
    events: tuple[DeadlineEvent, ...]


# Snapshots by version, shared by every workflow in this worker: a version is the hash of the
# snapshot's content, so sharing the immutable object is as deterministic as building it again,
# and 10,000 journeys of one authority hold one copy instead of 10,000.
_SNAPSHOTS: dict[str, CalendarSnapshot] = {}
_SNAPSHOTS_LIMIT = 512


def shared_snapshot(data: dict[str, Any]) -> CalendarSnapshot:
    found = _SNAPSHOTS.get(data["version"])
    if found is None:
        found = CalendarSnapshot.from_dict(data)
        if len(_SNAPSHOTS) >= _SNAPSHOTS_LIMIT:
            _SNAPSHOTS.clear()
        _SNAPSHOTS[found.version] = found
    return found


_SETUPS: dict[tuple[object, ...], CaseSetup] = {}


def shared_setup(setup: CaseSetup) -> CaseSetup:
    """One `CaseSetup` object for every journey in this worker whose setup has the same content
    (the calendars by their content-hash versions, the rest compared whole), so a sticky cache
    of thousands of journeys holds a few copies of the calendars, not one each. Sharing the
    frozen value is as deterministic as keeping one's own."""
    key = (
        setup.school_calendar["version"] if setup.school_calendar else None,
        setup.bank_holidays["version"],
        setup.board,
        repr(setup.ladders),
        repr(setup.ladder_versions),
    )
    found = _SETUPS.get(key)
    if found is None:
        if len(_SETUPS) >= _SNAPSHOTS_LIMIT:
            _SETUPS.clear()
        found = _SETUPS[key] = setup
    return found


# (role key) -> (alert_role, alert_scope)
Resolver = Callable[[str, ClockRecord], tuple[str, str]]


class ClockBook:
    def __init__(self, setup: CaseSetup, case_id: str, resolve: Resolver) -> None:
        self.setup = setup
        self.case_id = case_id
        self.resolve = resolve
        self.school = shared_snapshot(setup.school_calendar) if setup.school_calendar else None
        self.bank = shared_snapshot(setup.bank_holidays)
        self.records: dict[str, ClockRecord] = {}

    # -- clocks ------------------------------------------------------------------------------

    def calendar_for(self, rule: str) -> CalendarSnapshot | None:
        # the one choice intake makes too (llwybr_clock.first_clock), so both count alike
        return calendar_for(rule, school=self.school, bank=self.bank)

    def clock(self, record: ClockRecord) -> StatutoryClock:
        exceptions: list[Pause | Resume | Lift] = []
        for e in record.exceptions:
            reason = ReasonCode(e.reason)
            if e.action == "pause":
                exceptions.append(Pause(e.from_, e.until, reason, e.actor, e.recorded_at))
            elif e.action == "resume":
                exceptions.append(Resume(e.from_, reason, e.actor, e.recorded_at))
            else:
                exceptions.append(Lift(e.from_, reason, e.actor, e.recorded_at))
        return StatutoryClock(
            rule=record.rule,
            start=record.start,
            calendar=self.calendar_for(record.rule),
            exceptions=tuple(exceptions),
            disagreement_resolution=record.disagreement_resolution,
            met_on=record.met_on,
        )

    def put(self, record: ClockRecord) -> ClockRecord:
        """Store a record with its current due date (raises the clock's errors unchanged)."""
        record = record.model_copy(update={"last_due": self.clock(record).due()})
        self.records[record.key] = record
        return record

    def get(self, key: str) -> ClockRecord | None:
        return self.records.get(key)

    def is_open(self, record: ClockRecord) -> bool:
        if record.met_on is not None:
            return False
        return not any(e.action == "lift" for e in record.exceptions)

    def open_records(self) -> list[ClockRecord]:
        return [r for r in self.records.values() if self.is_open(r)]

    # -- alarms ------------------------------------------------------------------------------

    def alarms(self, record: ClockRecord) -> list[Alarm]:
        if not record.alarms or not self.is_open(record):
            return []
        clock = self.clock(record)
        due = clock.due()
        opens = clock.paused_from
        if due is None and opens is not None and record.alarms_before_pause:
            # docs/rules.md#pauses: until its FROM date an open pause is not there, so the
            # warnings that fall before it still sound (the due date lies on or after it)
            before = opens - timedelta(days=1)
            return [
                Alarm(f"at-risk:{w}", local(w, WARNING_HOUR), step, 0)
                for step in self.setup.ladders.get(record.rule, ())
                if step.stage == "at-risk"
                for w in clock.warnings(before)
                if w < opens
            ]
        if due is None:  # paused (open pause) or lifted: no timer runs
            return []
        found: list[Alarm] = []
        breach = local(due + timedelta(days=1))
        for step in self.setup.ladders.get(record.rule, ()):
            if step.stage == "at-risk":
                for w in clock.warnings():
                    found.append(Alarm(f"at-risk:{w}", local(w, WARNING_HOUR), step, 0))
            elif step.stage == "due":
                found.append(Alarm(f"due:{due}", local(due, WARNING_HOUR), step, 1))
            elif step.stage == "breached":
                found.append(Alarm(f"breached:{due}", breach, step, 2))
        rungs = [s for s in self.setup.ladders.get(record.rule, ()) if s.stage == "escalated"]
        for i, step in enumerate(rungs):
            first = breach + timedelta(days=step.after_breach_days)
            found.append(Alarm(f"escalated:{due}:{i}:0", first, step, 3 + i))
        return found

    def _pending(self, record: ClockRecord, now: datetime) -> list[Alarm]:
        """Alarms not yet fired; a repeating rung yields its next occurrence after `now`'s."""
        pending: list[Alarm] = []
        fired = set(record.fired)
        for alarm in self.alarms(record):
            step = alarm.step
            if step.repeat_days and alarm.key.endswith(":0"):
                base = alarm.key[:-2]
                k = 0
                when = alarm.when
                period = timedelta(days=step.repeat_days)
                if now > when:  # jump to the latest occurrence already due
                    k = int((now - when) / period)
                    when = when + k * period
                while f"{base}:{k}" in fired:
                    k += 1
                    when = alarm.when + k * period
                level = alarm.level + k
                pending.append(Alarm(f"{base}:{k}", when, step, level))
            elif alarm.key not in fired:
                pending.append(alarm)
        return pending

    def next_alarm(self, now: datetime) -> datetime | None:
        times = [a.when for r in self.records.values() for a in self._pending(r, now)]
        # wake when a planned open pause takes effect, so the journey's view turns `paused`
        times += [w for r in self.open_records() if (w := self._pause_opens(r)) and w > now]
        return min(times) if times else None

    def _pause_opens(self, record: ClockRecord) -> datetime | None:
        if not record.alarms_before_pause or not record.alarms:
            return None
        opens = self.clock(record).paused_from
        return local(opens) if opens is not None else None

    def pauses_opening(self, now: datetime) -> list[ClockRecord]:
        """Open clocks whose planned pause has taken effect by `now`, not yet announced; each
        is marked announced (key `paused:<FROM>`)."""
        found: list[ClockRecord] = []
        for record in self.open_records():
            when = self._pause_opens(record)
            key = f"paused:{when.date()}" if when is not None else ""
            if when is not None and when <= now and key not in record.fired:
                record = record.model_copy(update={"fired": (*record.fired, key)[-MAX_FIRED:]})
                self.records[record.key] = record
                found.append(record)
        return found

    def fire(self, now: datetime) -> list[Fired]:
        """Fire what is due at `now`. When several alarms of one clock are past (a worker that
        was down, a back-dated start) only the most advanced one is announced [assumed]: a
        breach is news, a stale warning is noise."""
        out: list[Fired] = []
        for key in list(self.records):
            record = self.records[key]
            past = [a for a in self._pending(record, now) if a.when <= now]
            if not past:
                continue
            past.sort(key=lambda a: (a.when, a.level))
            latest = past[-1]
            fired = (*record.fired, *(a.key for a in past))[-MAX_FIRED:]
            record = record.model_copy(update={"fired": fired})
            self.records[key] = record
            clock = self.clock(record)
            due = clock.due()
            if due is None and clock.paused_from is not None:  # a warning before a planned pause
                due = clock.due(clock.paused_from - timedelta(days=1))
            assert due is not None
            events = tuple(
                _EVENT[latest.step.stage](
                    case_id=self.case_id,
                    rule=record.rule,
                    due=due,
                    request_id=record.subject,
                    escalation_level=latest.level,
                    alert_role=role,
                    alert_scope=scope,
                )
                for role, scope in (self.resolve(r, record) for r in latest.step.roles)
            )
            out.append(Fired(record, latest.step.stage, events))
        return out

    # -- views -------------------------------------------------------------------------------

    def next_due(self) -> date | None:
        dues = [
            d for r in self.open_records() if r.alarms and (d := self.clock(r).due()) is not None
        ]
        return min(dues) if dues else None

    def view(self, record: ClockRecord, today: date) -> ClockView:
        clock = self.clock(record)
        paused = 0
        for e in record.exceptions:
            if e.action == "pause":
                end = e.until or today
                if end >= e.from_:
                    paused += (min(end, today) - e.from_).days + 1 if today >= e.from_ else 0
        calendar = clock.calendar
        return ClockView(
            rule=record.rule,
            start=record.start,
            due=clock.due(today),
            status=str(clock.status(today)),
            warnings=list(clock.warnings(today)),
            paused_days=paused,
            met_on=record.met_on,
            days_late=clock.days_late(),
            calendar_version=clock.calendar_version,
            assumed=clock.assumed,
            illustrative_calendar=bool(calendar and calendar.illustrative),
            subject=record.subject,
        )
