"""`IdpJourney`: one per case (id `case-<case id>`, task queue `aln-journey`).

Walks the journey of ALN_RULES.md section 8: consent pending (young people), decision pending
under the deciding body's clock, referred to the LA, decided (no ALN / ALN), IDP being prepared,
IDP active with its review cycle (continue-as-new at each review), ceasing, closed.

Human steps are updates with validators, facts from other contexts are signals (deduplicated by
event id), `status` is a query (workflows/README.md lists them). Every event leaves through the
`record_journey_event` activity (the journey's outbox). Time comes only from `workflow.now()`,
as a date in Wales; every clock comes from `llwybr_clock` on the snapshots `load_case_setup`
recorded, and one updatable timer waits for the next alarm of any clock.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
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
    from llwybr_contracts.journey import (
        JOURNEY_WORKFLOW,
        CommandAccepted,
        JourneyInput,
        JourneyStatus,
        TimelineEntry,
    )
    from llwybr_contracts.states import CaseState, DecidingBody
    from llwybr_contracts.temporal import TASK_QUEUE, health_workflow_id
    from llwybr_workflows.journey.clockbook import ClockBook, local, wales_date
    from llwybr_workflows.journey.contracts import (
        CaseSetup,
        CaseSetupRequest,
        ClockRecord,
        ExceptionRecord,
        HealthInputStart,
        HealthRequestRecord,
        JourneyCarry,
        PublishJourneyEvent,
    )
    from llwybr_workflows.journey.ladder import alert_target

# Everything after JourneyStarted landed after the walking skeleton: journeys started by the
# skeleton keep waiting as they did (STYLE.md: changes go behind workflow.patched).
PATCH_STATUTORY_JOURNEY = "statutory-journey-v1"

# LlwybrNextDue also refreshed after a lone ClockMet (e.g. an appeal lodged).
PATCH_UPSERT_ON_MET = "upsert-after-clock-met"

# Several queued events leave in one activity (one outbox transaction) instead of one each.
PATCH_BATCH_EVENTS = "batch-journey-events"

SEEN_LIMIT = 1000  # event ids remembered (bridge redeliveries arrive within minutes)
TIMELINE_LIMIT = 200
DECISION_RULES = ("school-decision", "la-decision", "la-not-necessary", "detention-release")
ACTIVITY_TIMEOUT = timedelta(seconds=30)

STATE_KEY = SearchAttributeKey.for_keyword("LlwybrCaseState")
BODY_KEY = SearchAttributeKey.for_keyword("LlwybrDecidingBody")
AUTHORITY_KEY = SearchAttributeKey.for_keyword("LlwybrAuthority")
NEXT_DUE_KEY = SearchAttributeKey.for_datetime("LlwybrNextDue")


def _detail(event: Event) -> str:
    data = event.model_dump(mode="json")
    parts = [
        f"{k}={data[k]}"
        for k in ("rule", "state", "request_id", "due", "alert_role", "alert_scope", "change")
        if data.get(k) is not None
    ]
    return " ".join(parts)


@workflow.defn(name=JOURNEY_WORKFLOW)
class IdpJourney:
    def __init__(self) -> None:
        self._seq = 0
        self._case_id = ""
        self._state = CaseState.DECISION_PENDING
        self._closed = False
        self._journey: JourneyInput | None = None
        self._book: ClockBook | None = None
        self._queue: list[Event] = []
        self._wake = False
        self._continue = False
        self._deciding_body: DecidingBody | None = None
        self._deciding_authority: str | None = None
        self._maintainer: str | None = None
        self._health: dict[str, HealthRequestRecord] = {}
        self._seen: list[str] = []
        self._seen_set: set[str] = set()
        self._timeline: list[TimelineEntry] = []
        self._reviews_held = 0
        self._decided = False
        self._appeal_lodged = False
        self._exception_ids: list[str] = []
        self._calendar_reload = False

    # -- run -----------------------------------------------------------------------------------

    @workflow.run
    async def run(self, journey: JourneyInput, carry: JourneyCarry | None = None) -> None:
        # Started with one argument (the case API, the bridge) the SDK decodes it untyped
        # (argument count differs from the signature): validate it here either way.
        journey = JourneyInput.model_validate(journey)
        self._journey = journey
        self._case_id = journey.case_id
        if carry is None:
            self._state = journey.state
            await self._publish(
                JourneyStarted(
                    case_id=journey.case_id,
                    workflow_id=workflow.info().workflow_id,
                    state=journey.state,
                    authority=journey.authority,
                )
            )
            if not workflow.patched(PATCH_STATUTORY_JOURNEY):
                await workflow.wait_condition(lambda: self._closed)
                return
            self._deciding_body = journey.deciding_body
            self._deciding_authority = journey.deciding_authority
        else:
            self._restore(carry)
        if carry is not None and carry.setup is not None:
            self._book = ClockBook(carry.setup, self._case_id, self._resolve)
            for record in carry.clocks:
                self._book.records[record.key] = record
            # fresh snapshots for the new cycle (bank holidays run 4 years ahead)
            await self._recompute_calendars()
        else:
            self._book = ClockBook(await self._load_setup(), self._case_id, self._resolve)
            if carry is None:
                self._begin(journey)
            else:
                for record in carry.clocks:
                    self._book.put(record)
        await self._upsert()
        await self._loop()
        # let every update finish (and publish what it queued) before closing or moving on
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()
        if self._continue and not self._closed:
            workflow.continue_as_new(args=[journey, self._carry()])

    async def _load_setup(self) -> CaseSetup:
        assert self._journey is not None
        return await workflow.execute_activity(
            "load_case_setup",
            CaseSetupRequest(
                authority=self._journey.authority,
                school_ref=self._journey.school_ref,
                year=self._today().year,
            ),
            result_type=CaseSetup,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    def _begin(self, journey: JourneyInput) -> None:
        if journey.state == CaseState.DECISION_PENDING:
            rule = journey.first_rule or self._decision_rule()
            self._start_clock(rule, journey.clock_start or journey.received_on)

    def _decision_rule(self) -> str:
        # Act s.11 (school) / s.13 (LA) when routing named no rule
        return "school-decision" if self._deciding_body == DecidingBody.SCHOOL else "la-decision"

    async def _loop(self) -> None:
        book = self._require_book()
        while True:
            await self._drain()
            if self._calendar_reload:
                self._calendar_reload = False
                await self._recompute_calendars()
                continue
            if self._closed or self._continue:
                return
            now = workflow.now()
            nxt = book.next_alarm(now)
            timeout = None if nxt is None else nxt - now
            if timeout is None or timeout > timedelta(0):
                self._wake = False
                try:
                    await workflow.wait_condition(
                        lambda: self._wake or bool(self._queue), timeout=timeout
                    )
                except TimeoutError:
                    pass
            self._fire_alarms()

    def _fire_alarms(self) -> None:
        book = self._require_book()
        for fired in book.fire(workflow.now()):
            self._queue.extend(fired.events)
            if fired.stage == "breached":
                self._window_closed(fired.record)

    def _window_closed(self, record: ClockRecord) -> None:
        """A family's window ran out with nothing asked or lodged."""
        today = self._today()
        if record.rule == "tribunal-appeal" and not self._appeal_lodged:
            if self._state in (CaseState.NO_ALN, CaseState.CEASING):
                self._close("appeal-window-expired", today)
        elif record.rule == "cease-reconsider-request" and self._state == CaseState.CEASING:
            self._close("ceased", today)

    async def _drain(self) -> None:
        changed = False
        while self._queue:
            if len(self._queue) > 1 and workflow.patched(PATCH_BATCH_EVENTS):
                batch, self._queue = self._queue, []
                for event in batch:
                    changed = self._moves_search_attributes(event) or changed
                await self._publish_batch(batch)
                continue
            event = self._queue.pop(0)
            changed = self._moves_search_attributes(event) or changed
            await self._publish(event)
        if changed:
            await self._upsert()

    def _moves_search_attributes(self, event: Event) -> bool:
        if isinstance(event, StateChanged | ClockStarted | ClockChanged):
            return True
        # the next due date moves when a clock is met
        return isinstance(event, ClockMet) and workflow.patched(PATCH_UPSERT_ON_MET)

    def _request(self, event: Event) -> PublishJourneyEvent:
        self._seq += 1
        self._timeline.append(
            TimelineEntry(on=self._today(), kind=event.event_name(), detail=_detail(event))
        )
        del self._timeline[:-TIMELINE_LIMIT]
        return PublishJourneyEvent(
            workflow_id=workflow.info().workflow_id,
            seq=self._seq,
            subject=self._case_id,
            event_type=event.cloudevent_type(),
            payload=event.model_dump(mode="json"),
        )

    async def _publish_batch(self, events: list[Event]) -> None:
        """One activity for the events of one step (a decision queues up to five)."""
        await workflow.execute_activity(
            "record_journey_events",
            [self._request(e) for e in events],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    async def _publish(self, event: Event) -> None:
        await workflow.execute_activity(
            "record_journey_event", self._request(event), start_to_close_timeout=ACTIVITY_TIMEOUT
        )

    async def _upsert(self) -> None:
        assert self._journey is not None
        due = self._book.next_due() if self._book else None
        pairs: list[SearchAttributeUpdate[Any]] = [
            STATE_KEY.value_set(str(self._state)),
            AUTHORITY_KEY.value_set(self._journey.authority),
        ]
        pairs.append(
            BODY_KEY.value_set(str(self._deciding_body))
            if self._deciding_body
            else BODY_KEY.value_unset()
        )
        pairs.append(NEXT_DUE_KEY.value_set(local(due)) if due else NEXT_DUE_KEY.value_unset())
        workflow.upsert_search_attributes(pairs)

    # -- helpers -------------------------------------------------------------------------------

    def _today(self) -> date:
        return wales_date(workflow.now())

    async def _ready(self, check: Callable[[Any], None], cmd: Any) -> None:
        """An update that arrived while the calendars were loading waits, then is checked."""
        if self._book is None:
            await workflow.wait_condition(lambda: self._book is not None)
            try:
                check(cmd)
            except ValueError as exc:  # the same refusal a validator gives (HTTP 409)
                raise ApplicationError(str(exc), type="ValueError", non_retryable=True) from None

    def _require_book(self) -> ClockBook:
        if self._book is None:
            raise ValueError("the journey is still starting: try again in a moment")
        return self._book

    def _la(self) -> str:
        assert self._journey is not None
        return self._deciding_authority or self._journey.authority

    def _resolve(self, role: str, record: ClockRecord) -> tuple[str, str]:
        assert self._journey is not None
        school_body = record.rule == "school-decision" or (
            record.rule in ("idp-review", "cease-reconsider-request")
            and self._maintainer == DecidingBody.SCHOOL
        )
        return alert_target(
            role,
            la=self._la(),
            board=self._require_book().setup.board,
            school_ref=self._journey.school_ref,
            school_body=school_body,
        )

    def _set_state(self, state: CaseState) -> None:
        if state != self._state:
            previous, self._state = self._state, state
            self._queue.append(
                StateChanged(
                    case_id=self._case_id, state=state, previous=previous, on=self._today()
                )
            )
        self._wake = True

    def _start_clock(
        self, rule: str, start: date, *, subject: str | None = None, alarms: bool = True
    ) -> ClockRecord | None:
        book = self._require_book()
        key = rule if subject is None else f"{rule}:{subject}"
        try:
            record = book.put(
                ClockRecord(key=key, rule=rule, start=start, subject=subject, alarms=alarms)
            )
        except ClockError as exc:
            # e.g. a school-day clock past the calendar's coverage (ALN_RULES.md s.1: never fall
            # back to weekdays): shown on the timeline for an officer to fix (import a calendar)
            self._timeline.append(
                TimelineEntry(
                    on=self._today(), kind="ClockError", detail=f"rule={rule} {type(exc).__name__}"
                )
            )
            return None
        if alarms:
            self._queue.append(
                ClockStarted(
                    case_id=self._case_id,
                    rule=rule,
                    start=start,
                    due=record.last_due,
                    calendar_version=book.clock(record).calendar_version,
                    request_id=subject,
                )
            )
        self._wake = True
        return record

    def _meet(self, key: str, on: date) -> None:
        book = self._require_book()
        record = book.get(key)
        if record is None or not book.is_open(record):
            return
        record = book.put(record.model_copy(update={"met_on": on}))
        if record.alarms:
            self._queue.append(
                ClockMet(
                    case_id=self._case_id,
                    rule=record.rule,
                    due=book.clock(record.model_copy(update={"met_on": None})).due(),
                    calendar_version=book.clock(record).calendar_version,
                    request_id=record.subject,
                    met_on=on,
                )
            )
        self._wake = True

    def _open_rule(self, rule: str) -> ClockRecord | None:
        book = self._require_book()
        record = book.get(rule)
        return record if record is not None and book.is_open(record) else None

    def _decision_clock(self) -> ClockRecord | None:
        for rule in DECISION_RULES:
            if (record := self._open_rule(rule)) is not None:
                return record
        return None

    def _open_appeal_window(self, notice_given_on: date) -> None:
        # s.70, ETW Regs reg 10: an LA decision opens the tribunal-appeal window from its notice
        self._appeal_lodged = False
        record = self._start_clock("tribunal-appeal", notice_given_on)
        if record is None or record.last_due is None:
            return
        self._queue.append(
            AppealWindowOpened(
                case_id=self._case_id, notice_given_on=notice_given_on, due=record.last_due
            )
        )

    def _close(self, reason: str, on: date) -> None:
        self._set_state(CaseState.CLOSED)
        self._queue.append(CaseClosed(case_id=self._case_id, reason=reason, closed_on=on))
        self._closed = True

    def _accepted(self, detail: str = "") -> CommandAccepted:
        return CommandAccepted(state=self._state, detail=detail)

    def _seen_before(self, event_id: str) -> bool:
        if event_id in self._seen_set:
            return True
        self._seen.append(event_id)
        self._seen_set.add(event_id)
        if len(self._seen) > SEEN_LIMIT:
            self._seen_set.discard(self._seen.pop(0))
        return False

    def _not_future(self, *dates: tuple[str, date | None]) -> None:
        """A fact that is recorded has happened: its date is today or earlier in Wales."""
        today = self._today()
        for name, day in dates:
            if day is not None and day > today:
                raise ValueError(f"{name} {day.isoformat()} is in the future (today is {today})")

    def _not_closed(self) -> None:
        if self._closed:
            raise ValueError("the case is closed")

    # -- continue-as-new -----------------------------------------------------------------------

    def _carry(self) -> JourneyCarry:
        book = self._require_book()
        return JourneyCarry(
            seq=self._seq,
            state=self._state,
            deciding_body=self._deciding_body,
            deciding_authority=self._deciding_authority,
            maintainer=self._maintainer,
            # met and lifted clocks stay only while they still say something to the query
            clocks=tuple(r for r in book.records.values() if book.is_open(r)),
            health_requests=tuple(self._health.values()),
            seen=tuple(self._seen),
            timeline=tuple(self._timeline[-TIMELINE_LIMIT:]),
            reviews_held=self._reviews_held,
            decided=self._decided,
            appeal_lodged=self._appeal_lodged,
            exception_ids=tuple(self._exception_ids[-SEEN_LIMIT:]),
            setup=book.setup,
        )

    def _restore(self, carry: JourneyCarry) -> None:
        self._seq = carry.seq
        self._state = carry.state
        self._deciding_body = carry.deciding_body
        self._deciding_authority = carry.deciding_authority
        self._maintainer = carry.maintainer
        self._health = {h.request_id: h for h in carry.health_requests}
        self._seen = list(carry.seen)
        self._seen_set = set(carry.seen)
        self._timeline = list(carry.timeline)
        self._reviews_held = carry.reviews_held
        self._decided = carry.decided
        self._appeal_lodged = carry.appeal_lodged
        self._exception_ids = list(carry.exception_ids)

    # -- query ---------------------------------------------------------------------------------

    @workflow.query(name=j.QUERY_STATUS)
    def status(self) -> JourneyStatus:
        clocks = []
        if self._book is not None:
            today = self._today()
            clocks = [self._book.view(r, today) for r in self._book.records.values()]
        return JourneyStatus(
            case_id=self._case_id,
            state=self._state,
            deciding_body=self._deciding_body,
            deciding_authority=self._deciding_authority,
            clocks=clocks,
            timeline=list(self._timeline),
            events_published=self._seq,
        )

    # -- updates: human steps (validators refuse what the current state does not allow) ------

    @workflow.update(name=j.UPDATE_RECORD_CONSENT)
    async def record_consent(self, cmd: j.RecordConsent) -> CommandAccepted:
        await self._ready(self._check_consent, cmd)
        assert self._journey is not None
        if cmd.answer == "refused":
            # ALN_RULES.md s.8(2): a young person's refusal closes the case (s.11(3))
            self._close("consent-refused", cmd.on)
            return self._accepted("consent refused: case closed")
        rule = self._journey.first_rule or self._decision_rule()
        # ALN_RULES.md s.1: for a young person the decision clock starts on consent
        self._start_clock(rule, cmd.on)
        self._set_state(CaseState.DECISION_PENDING)
        return self._accepted(f"{rule} started {cmd.on.isoformat()}")

    @record_consent.validator
    def _check_consent(self, cmd: j.RecordConsent) -> None:
        self._not_closed()
        self._not_future(("on", cmd.on))
        if self._book is None:
            return  # checked again by the handler once the calendars are loaded
        if self._state != CaseState.CONSENT_PENDING:
            raise ValueError(f"consent is not pending (the case is {self._state})")

    @workflow.update(name=j.UPDATE_REFER_TO_LA)
    async def refer_to_la(self, cmd: j.ReferToLa) -> CommandAccepted:
        await self._ready(self._check_refer, cmd)
        # Act s.12(2): the school refers; the LA decides under s.13 on its own 12-week clock.
        # The school's s.11 duty is discharged by the referral: its clock is met that day.
        self._meet("school-decision", cmd.referred_on)
        self._deciding_body = DecidingBody.LOCAL_AUTHORITY
        self._deciding_authority = cmd.authority
        self._queue.append(
            ReferredToLa(
                case_id=self._case_id, authority=cmd.authority, referred_on=cmd.referred_on
            )
        )
        self._start_clock("la-decision", cmd.referred_on)
        return self._accepted(f"la-decision started {cmd.referred_on.isoformat()}")

    @refer_to_la.validator
    def _check_refer(self, cmd: j.ReferToLa) -> None:
        self._not_closed()
        self._not_future(("referred_on", cmd.referred_on))
        if self._book is None:
            return  # checked again by the handler once the calendars are loaded
        if self._state != CaseState.DECISION_PENDING:
            raise ValueError(f"only a pending decision can be referred (the case is {self._state})")
        if self._open_rule("school-decision") is None:
            raise ValueError("no clock 'school-decision' is running: only a school refers")
        if cmd.referred_on < self._require_book().records["school-decision"].start:
            raise ValueError("referred_on is before the school's clock started")

    @workflow.update(name=j.UPDATE_RECORD_DECISION)
    async def record_decision(self, cmd: j.RecordDecision) -> CommandAccepted:
        await self._ready(self._check_decision, cmd)
        reconsidering = self._reconsideration_open()
        body = self._deciding_body
        notice = cmd.notice_given_on or cmd.decided_on
        if reconsidering is not None:
            # Act ss.26, 27, 32: the LA's reconsideration outcome is an LA decision, appealable
            self._meet(reconsidering.key, notice)
            body = DecidingBody.LOCAL_AUTHORITY
            self._deciding_body = body
        self._decided = True
        self._queue.append(
            AlnDecided(
                case_id=self._case_id,
                has_aln=cmd.outcome == "aln",
                deciding_body=body or DecidingBody.LOCAL_AUTHORITY,
                decided_on=cmd.decided_on,
            )
        )
        if self._state == CaseState.CEASING:
            if cmd.outcome == "aln":
                self._set_state(CaseState.IDP_ACTIVE)  # the plan is kept
            else:
                self._open_appeal_window(notice)  # s.70: ceasing confirmed by the LA
            return self._accepted()
        if reconsidering is not None and reconsidering.rule == "la-reconsider-idp":
            self._open_appeal_window(notice)
            return self._accepted("IDP reconsideration decided")
        if cmd.outcome == "no-aln":
            # ALN_RULES.md s.1 "Met": the decision clock is met by the no-ALN notice
            if (clock := self._decision_clock()) is not None:
                self._meet(clock.key, notice)
            self._set_state(CaseState.NO_ALN)
            if body == DecidingBody.LOCAL_AUTHORITY:
                self._open_appeal_window(notice)  # s.70; a school's decision is not appealable
            return self._accepted()
        # ALN: the decision clock runs on until IdpIssued (ALN_RULES.md s.1 "Met"); after an
        # LA reconsideration the LA maintains the plan [assumed: s.14 lets it direct a school]
        self._maintainer = body
        self._set_state(CaseState.IDP_IN_PREPARATION)
        return self._accepted()

    @record_decision.validator
    def _check_decision(self, cmd: j.RecordDecision) -> None:
        self._not_closed()
        self._not_future(("decided_on", cmd.decided_on), ("notice_given_on", cmd.notice_given_on))
        if self._book is None:
            return  # checked again by the handler once the calendars are loaded
        if cmd.outcome == "no-aln" and cmd.notice_given_on is None:
            raise ValueError("a no-ALN decision needs notice_given_on: the notice meets the clock")
        if self._reconsideration_open() is not None:
            return
        if self._state == CaseState.CONSENT_PENDING:
            raise ValueError("consent is not yet given")
        if self._state != CaseState.DECISION_PENDING or self._decided:
            raise ValueError("a decision is already recorded")

    def _reconsideration_open(self) -> ClockRecord | None:
        for rule in ("la-reconsider-decision", "la-reconsider-idp"):
            if (record := self._open_rule(rule)) is not None:
                return record
        return None

    @workflow.update(name=j.UPDATE_REQUEST_HEALTH_INPUT)
    async def request_health_input(self, cmd: j.RequestHealthInput) -> CommandAccepted:
        await self._ready(self._check_health, cmd)
        assert self._journey is not None
        self._health[cmd.request_id] = HealthRequestRecord(
            request_id=cmd.request_id, sent_on=cmd.sent_on
        )
        # a shadow of the child's clock, shown by `status`; the child owns its timers
        self._start_clock("health-response", cmd.sent_on, subject=cmd.request_id, alarms=False)
        await workflow.start_child_workflow(
            j.HEALTH_INPUT_WORKFLOW,
            HealthInputStart(
                case_id=self._case_id,
                request_id=cmd.request_id,
                authority=self._journey.authority,
                la=self._la(),
                sent_on=cmd.sent_on,
                setup=self._require_book().setup,
            ),
            id=health_workflow_id(cmd.request_id),
            task_queue=TASK_QUEUE,
            # the journey continues-as-new at every review: that must never end the request
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        return self._accepted(f"health request {cmd.request_id} sent")

    @request_health_input.validator
    def _check_health(self, cmd: j.RequestHealthInput) -> None:
        self._not_closed()
        self._not_future(("sent_on", cmd.sent_on))
        if self._book is None:
            return  # checked again by the handler once the calendars are loaded
        if self._state == CaseState.CONSENT_PENDING:
            raise ValueError("consent is not yet given")
        if cmd.request_id in self._health:
            raise ValueError(f"health request {cmd.request_id} already exists")

    @workflow.update(name=j.UPDATE_WITHDRAW_HEALTH_INPUT)
    async def withdraw_health_input(self, cmd: j.WithdrawHealthInput) -> CommandAccepted:
        await self._ready(self._check_withdraw, cmd)
        record = self._health[cmd.request_id]
        self._health[cmd.request_id] = record.model_copy(
            update={"outcome": "withdrawn", "on": cmd.on}
        )
        # a withdrawn request is not a duty done: its shadow clock goes, the timeline keeps it
        self._require_book().records.pop(f"health-response:{cmd.request_id}", None)
        self._timeline.append(
            TimelineEntry(
                on=cmd.on, kind="HealthInputWithdrawn", detail=f"request_id={cmd.request_id}"
            )
        )
        child = workflow.get_external_workflow_handle(health_workflow_id(cmd.request_id))
        try:
            await child.signal(j.SIGNAL_WITHDRAW_HEALTH_INPUT, cmd)
        except FailureError:
            pass  # the child ended meanwhile (answered): its outcome signal follows
        return self._accepted(f"health request {cmd.request_id} withdrawn")

    @withdraw_health_input.validator
    def _check_withdraw(self, cmd: j.WithdrawHealthInput) -> None:
        self._not_closed()
        self._not_future(("on", cmd.on))
        record = self._health.get(cmd.request_id)
        if record is None:
            raise ValueError(f"no health request {cmd.request_id}")
        if record.outcome is not None:
            raise ValueError(f"health request {cmd.request_id} is already {record.outcome}")

    @workflow.update(name=j.UPDATE_RECORD_EXCEPTION)
    async def record_exception(self, cmd: j.RecordException) -> CommandAccepted:
        await self._ready(self._check_exception, cmd)
        if cmd.exception_id in self._exception_ids:
            return self._accepted(f"exception {cmd.exception_id} already recorded")
        book = self._require_book()
        record = book.get(cmd.rule)
        assert record is not None
        before = book.clock(record).due()
        record = book.put(
            record.model_copy(update={"exceptions": (*record.exceptions, self._exception(cmd))})
        )
        self._exception_ids.append(cmd.exception_id)
        change = {"pause": "paused", "resume": "resumed", "lift": "lifted"}[cmd.action]
        self._queue.append(
            ClockChanged(
                case_id=self._case_id,
                rule=record.rule,
                due=record.last_due,
                calendar_version=book.clock(record).calendar_version,
                change=change,  # type: ignore[arg-type]
                reason=cmd.reason,
                previous_due=before,
            )
        )
        self._wake = True  # the timer follows the new due date at once
        due = record.last_due.isoformat() if record.last_due else "none"
        return self._accepted(f"{cmd.rule} {change}: due {due}")

    def _exception(self, cmd: j.RecordException) -> ExceptionRecord:
        return ExceptionRecord(
            exception_id=cmd.exception_id,
            action=cmd.action,
            reason=cmd.reason,
            from_=cmd.from_,
            until=cmd.until,
            actor=cmd.actor,
            recorded_at=workflow.now(),
        )

    @record_exception.validator
    def _check_exception(self, cmd: j.RecordException) -> None:
        self._not_closed()
        book = self._book
        if book is None:
            return  # checked again by the handler once the calendars are loaded
        if cmd.exception_id in self._exception_ids:
            return
        if cmd.rule == "health-response":
            raise ValueError(
                "health-response is the NHS body's clock: it changes only by its own facts"
            )
        record = book.get(cmd.rule)
        if record is None or not book.is_open(record):
            raise ValueError(f"no clock {cmd.rule!r} is running")
        if cmd.action == "pause" and cmd.until is not None and cmd.until < cmd.from_:
            raise ValueError("a pause cannot end before it starts")
        try:
            trial = record.model_copy(
                update={"exceptions": (*record.exceptions, self._exception(cmd))}
            )
            book.clock(trial).due()
        except ClockError as exc:
            raise ValueError(str(exc)) from None

    @workflow.update(name=j.UPDATE_REQUEST_REVIEW)
    async def request_review(self, cmd: j.RequestReview) -> CommandAccepted:
        await self._ready(self._check_review, cmd)
        # ALN_RULES.md s.6: a review on request; the review held arrives as IdpReviewed
        self._timeline.append(
            TimelineEntry(on=cmd.requested_on, kind="ReviewRequested", detail=cmd.requested_by)
        )
        return self._accepted("review requested")

    @request_review.validator
    def _check_review(self, cmd: j.RequestReview) -> None:
        self._not_closed()
        self._not_future(("requested_on", cmd.requested_on))
        if self._state != CaseState.IDP_ACTIVE:
            raise ValueError(f"there is no active IDP to review (the case is {self._state})")

    @workflow.update(name=j.UPDATE_REQUEST_RECONSIDERATION)
    async def request_reconsideration(self, cmd: j.RequestReconsideration) -> CommandAccepted:
        await self._ready(self._check_reconsideration, cmd)
        if cmd.kind == "decision":
            # Act s.26: the LA reconsiders a school's decision (7 weeks)
            self._start_clock("la-reconsider-decision", cmd.received_on, subject=None)
            return self._accepted("la-reconsider-decision started")
        if cmd.kind == "idp":
            # Act s.27: the LA reconsiders a school-maintained IDP
            self._start_clock("la-reconsider-idp", cmd.received_on)
            return self._accepted("la-reconsider-idp started")
        # Regs reg 12, Act s.32: the family asked within the window; the LA's answer follows as
        # a decision (aln: the plan is kept; no-aln: ceasing confirmed)
        self._meet("cease-reconsider-request", cmd.received_on)
        self._start_clock("la-reconsider-idp", cmd.received_on)
        return self._accepted("cease reconsideration requested")

    @request_reconsideration.validator
    def _check_reconsideration(self, cmd: j.RequestReconsideration) -> None:
        self._not_closed()
        self._not_future(("received_on", cmd.received_on))
        if self._book is None:
            return  # checked again by the handler once the calendars are loaded
        if cmd.kind == "decision":
            if self._deciding_body != DecidingBody.SCHOOL or not self._decided:
                raise ValueError("only a school's decision can be reconsidered by the LA")
            if self._open_rule("la-reconsider-decision") is not None:
                raise ValueError("a reconsideration is already running")
        elif cmd.kind == "idp":
            if self._state != CaseState.IDP_ACTIVE or self._maintainer != DecidingBody.SCHOOL:
                raise ValueError("only a school-maintained IDP can be reconsidered by the LA")
            if self._open_rule("la-reconsider-idp") is not None:
                raise ValueError("a reconsideration is already running")
        else:
            if self._open_rule("cease-reconsider-request") is None:
                raise ValueError("no clock 'cease-reconsider-request' is running")

    # -- signals: facts from other contexts (deduplicated by event id) -------------------------

    @workflow.signal(name=j.SIGNAL_IDP_ISSUED)
    def idp_issued(self, fact: j.IdpIssuedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed or self._book is None:
            return
        if self._state != CaseState.IDP_IN_PREPARATION:
            return  # e.g. a plan re-issued after a reconsideration: its review clock runs on
        # ALN_RULES.md s.1 "Met": an ALN decision clock is met when the IDP is issued
        if (clock := self._decision_clock()) is not None:
            self._meet(clock.key, fact.on)
        self._set_state(CaseState.IDP_ACTIVE)
        # Act ss.23-24: reviewed at least once in each 12-month period from the copy given
        self._start_clock("idp-review", fact.on)
        if self._maintainer == DecidingBody.LOCAL_AUTHORITY:
            self._open_appeal_window(fact.on)  # s.70: an LA's IDP is appealable

    @workflow.signal(name=j.SIGNAL_IDP_REVIEWED)
    def idp_reviewed(self, fact: j.IdpReviewedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed or self._book is None:
            return
        if self._state != CaseState.IDP_ACTIVE:
            return
        self._meet("idp-review", fact.on)
        if (r := self._open_rule("la-reconsider-idp")) is not None:
            self._meet(r.key, fact.on)
        self._reviews_held += 1
        # Act s.24: the next period runs from the revised plan or no-revision notice
        self._require_book().records.pop("idp-review", None)
        self._start_clock("idp-review", fact.on)
        self._continue = True  # STYLE.md: continue-as-new at each review cycle

    @workflow.signal(name=j.SIGNAL_IDP_TRANSFERRED)
    def idp_transferred(self, fact: j.IdpTransferredFact) -> None:
        if self._seen_before(fact.event_id) or self._closed:
            return
        # Act s.35: the plan follows the learner; its review clock runs on unchanged
        if fact.to_body.startswith("la:"):
            self._maintainer = DecidingBody.LOCAL_AUTHORITY
            self._deciding_authority = fact.to_body.removeprefix("la:")
        elif fact.to_body.startswith("school:"):
            self._maintainer = DecidingBody.SCHOOL
        self._timeline.append(TimelineEntry(on=fact.on, kind="IdpTransferred", detail=fact.to_body))
        self._wake = True

    @workflow.signal(name=j.SIGNAL_IDP_CEASED)
    def idp_ceased(self, fact: j.IdpCeasedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed or self._book is None:
            return
        if self._state != CaseState.IDP_ACTIVE:
            return
        self._set_state(CaseState.CEASING)
        if self._maintainer == DecidingBody.SCHOOL:
            # Act s.32, Regs reg 12: 4 weeks to ask the LA to reconsider a school's decision
            self._start_clock("cease-reconsider-request", fact.on)
        else:
            self._open_appeal_window(fact.on)  # s.70: an LA's decision to cease is appealable

    @workflow.signal(name=j.SIGNAL_HEALTH_INPUT_OUTCOME)
    def health_input_outcome(self, outcome: j.HealthInputOutcome) -> None:
        record = self._health.get(outcome.request_id)
        if record is None or record.outcome is not None or self._book is None:
            return
        self._health[outcome.request_id] = record.model_copy(
            update={"outcome": outcome.outcome, "on": outcome.on}
        )
        key = f"health-response:{outcome.request_id}"
        shadow = self._book.get(key)
        if shadow is None:
            return
        if outcome.outcome == "impractical":
            lift = ExceptionRecord(
                exception_id=f"{outcome.request_id}-impractical",
                action="lift",
                reason="nhs-impractical",
                from_=outcome.on,
                actor="nhs-body",
                recorded_at=workflow.now(),
            )
            self._book.put(shadow.model_copy(update={"exceptions": (*shadow.exceptions, lift)}))
        else:
            self._meet(key, outcome.on)
        # ALN_RULES.md s.2: an answer (or none) never pauses the decision clock by itself
        self._timeline.append(
            TimelineEntry(
                on=outcome.on,
                kind="HealthInputOutcome",
                detail=f"request_id={outcome.request_id} outcome={outcome.outcome}",
            )
        )

    @workflow.signal(name=j.SIGNAL_DISAGREEMENT_RAISED)
    def disagreement_raised(self, fact: j.DisagreementRaisedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed or self._book is None:
            return
        record = self._open_rule("tribunal-appeal")
        if record is None or not fact.disagreement_resolution or record.disagreement_resolution:
            return
        # ETW Regs reg 14: s.68 disagreement resolution begun before the 8 weeks ran out
        if record.last_due is None or fact.raised_on > record.last_due:
            return
        before = record.last_due
        record = self._book.put(record.model_copy(update={"disagreement_resolution": True}))
        self._queue.append(
            ClockChanged(
                case_id=self._case_id,
                rule=record.rule,
                due=record.last_due,
                calendar_version=self._book.clock(record).calendar_version,
                change="recomputed",
                reason="disagreement-resolution",
                previous_due=before,
            )
        )
        self._wake = True

    @workflow.signal(name=j.SIGNAL_APPEAL_LODGED)
    def appeal_lodged(self, fact: j.AppealLodgedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed:
            return
        self._appeal_lodged = True
        self._meet("tribunal-appeal", fact.lodged_on)  # the duty timed is the appeal made

    @workflow.signal(name=j.SIGNAL_APPEAL_DECIDED)
    def appeal_decided(self, fact: j.AppealDecidedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed:
            return
        self._timeline.append(
            TimelineEntry(on=fact.decided_on, kind="AppealDecided", detail=fact.outcome)
        )
        if self._state in (CaseState.NO_ALN, CaseState.CEASING) and fact.outcome != "aln":
            self._close("appeal-decided", fact.decided_on)
        self._wake = True

    @workflow.signal(name=j.SIGNAL_CALENDAR_CHANGED)
    def calendar_changed(self, fact: j.CalendarChangedFact) -> None:
        if self._seen_before(fact.event_id) or self._closed:
            return
        self._calendar_reload = True
        self._wake = True

    async def _recompute_calendars(self) -> None:
        """CalendarChanged: every open clock recomputed on the new snapshot (DESIGN.md)."""
        old = self._require_book()
        new = ClockBook(await self._load_setup(), self._case_id, self._resolve)
        for record in old.records.values():
            try:
                updated = new.put(record)
            except ClockError:
                new.records[record.key] = record  # keep the old answer rather than lose a clock
                continue
            if old.is_open(record) and updated.last_due != record.last_due and record.alarms:
                self._queue.append(
                    ClockChanged(
                        case_id=self._case_id,
                        rule=record.rule,
                        due=updated.last_due,
                        calendar_version=new.clock(updated).calendar_version,
                        change="recomputed",
                        reason="calendar-changed",
                        previous_due=record.last_due,
                    )
                )
        self._book = new
