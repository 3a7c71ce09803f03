"""`HealthInput`: one per section 20 request (id `health-<request id>`), a child of the case's
journey started with ParentClosePolicy.ABANDON, so the journey's continue-as-new never ends it.

Publishes `HealthInputRequested` (the health-liaison service routes it to the board's DECLO),
runs the `health-response` clock (Regs reg 11: 6 weeks from receipt, the day it is sent, Act
s.88(6)) with its escalation ladder, and ends on `HealthInputReceived`, `HealthInputImpractical`
(the clock is lifted, reason nhs-impractical, Regs reg 11(3)) or a withdrawal by the journey
(`HealthInputWithdrawn`). It tells the journey the outcome by signalling `case-<case id>`.
"""

from datetime import date

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from llwybr_clock.wales import wales_date
    from llwybr_contracts import journey as j
    from llwybr_contracts.events import (
        ClockChanged,
        ClockMet,
        ClockStarted,
        HealthInputRequested,
        HealthInputWithdrawn,
    )
    from llwybr_contracts.journey import ClockView
    from llwybr_contracts.temporal import journey_workflow_id
    from llwybr_contracts.vocabulary import RuleId
    from llwybr_workflows.journey.clockbook import ClockBook, nhs_impractical_lift
    from llwybr_workflows.journey.contracts import ClockRecord, HealthInputStart
    from llwybr_workflows.journey.ladder import alert_target
    from llwybr_workflows.journey.publisher import Publisher
    from llwybr_workflows.journey.seen import SeenEvents
    from llwybr_workflows.journey.timer import UpdatableTimer

RULE = RuleId.HEALTH_RESPONSE
SEEN_LIMIT = 100


@workflow.defn(name=j.HEALTH_INPUT_WORKFLOW)
class HealthInput:
    def __init__(self) -> None:
        self._start: HealthInputStart | None = None
        self._book: ClockBook | None = None
        self._outcome: j.HealthInputOutcome | None = None
        self._withdrawn: j.WithdrawHealthInput | None = None
        self._seen = SeenEvents(limit=SEEN_LIMIT)
        self._pub = Publisher("")
        self._timer = UpdatableTimer()

    @workflow.run
    async def run(self, start: HealthInputStart) -> j.HealthInputOutcome:
        self._start = start
        self._pub = Publisher(start.case_id)
        book = ClockBook(start.setup, start.case_id, self._resolve)
        self._book = book
        record = book.put(
            ClockRecord(key=RULE, rule=RULE, start=start.sent_on, subject=start.request_id)
        )
        await self._pub.publish(
            HealthInputRequested(
                case_id=start.case_id,
                request_id=start.request_id,
                authority=start.authority,
                start=start.sent_on,
                due=record.last_due,
            )
        )
        await self._pub.publish(
            ClockStarted(
                case_id=start.case_id,
                rule=RULE,
                start=start.sent_on,
                due=record.last_due,
                calendar_version=book.clock(record).calendar_version,
                request_id=start.request_id,
            )
        )
        while not self._ended():
            self._timer.deadline = book.next_alarm(workflow.now())
            await self._timer.sleep(until=self._ended)
            if not self._ended():
                for fired in book.fire(workflow.now()):
                    for event in fired.events:
                        await self._pub.publish(event)
        return await self._finish()

    async def _finish(self) -> j.HealthInputOutcome:
        start, book = self._require()
        record = book.records[RULE]
        due = book.clock(record).due()
        if self._withdrawn is not None:
            on = self._withdrawn.on
            await self._pub.publish(
                HealthInputWithdrawn(
                    case_id=start.case_id, request_id=start.request_id, withdrawn_on=on
                )
            )
            return j.HealthInputOutcome(request_id=start.request_id, outcome="withdrawn", on=on)
        outcome = self._outcome
        assert outcome is not None
        if outcome.outcome == "impractical":
            book.put(nhs_impractical_lift(record, outcome.on, workflow.now()))
            await self._pub.publish(
                ClockChanged(
                    case_id=start.case_id,
                    rule=RULE,
                    due=None,
                    calendar_version=book.bank.version,
                    change="lifted",
                    reason="nhs-impractical",
                    previous_due=due,
                    request_id=start.request_id,
                )
            )
        else:
            book.put(record.model_copy(update={"met_on": outcome.on}))
            await self._pub.publish(
                ClockMet(
                    case_id=start.case_id,
                    rule=RULE,
                    due=due,
                    calendar_version=book.bank.version,
                    request_id=start.request_id,
                    met_on=outcome.on,
                )
            )
        parent = workflow.get_external_workflow_handle(journey_workflow_id(start.case_id))
        try:
            await parent.signal(j.SIGNAL_HEALTH_INPUT_OUTCOME, outcome)
        except FailureError:
            pass  # the case closed meanwhile: the outcome is still this workflow's result
        return outcome

    def _ended(self) -> bool:
        return self._outcome is not None or self._withdrawn is not None

    def _require(self) -> tuple[HealthInputStart, ClockBook]:
        assert self._start is not None and self._book is not None
        return self._start, self._book

    def _resolve(self, role: str, record: ClockRecord) -> tuple[str, str]:
        start, book = self._require()
        return alert_target(
            role, la=start.la, board=book.setup.board, school_ref=None, school_body=False
        )

    def _today(self) -> date:
        return wales_date(workflow.now())

    # -- signals -------------------------------------------------------------------------------

    @workflow.signal(name=j.SIGNAL_HEALTH_INPUT_RECEIVED)
    def received(self, fact: j.HealthInputReceivedFact) -> None:
        if not self._seen.first_time(fact.event_id) or self._ended():
            return
        self._outcome = j.HealthInputOutcome(
            request_id=fact.request_id,
            outcome=fact.outcome,
            on=fact.answered_on,
            welsh_delivery=fact.welsh_delivery,
        )

    @workflow.signal(name=j.SIGNAL_HEALTH_INPUT_IMPRACTICAL)
    def impractical(self, fact: j.HealthInputImpracticalFact) -> None:
        if not self._seen.first_time(fact.event_id) or self._ended():
            return
        self._outcome = j.HealthInputOutcome(
            request_id=fact.request_id, outcome="impractical", on=fact.recorded_on
        )

    @workflow.signal(name=j.SIGNAL_WITHDRAW_HEALTH_INPUT)
    def withdraw(self, cmd: j.WithdrawHealthInput) -> None:
        if self._outcome is None and self._withdrawn is None:
            self._withdrawn = cmd

    @workflow.query(name=j.QUERY_STATUS)
    def status(self) -> ClockView:
        _, book = self._require()
        return book.view(book.records[RULE], self._today())
