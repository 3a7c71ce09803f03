"""`IdpJourney`: one per case (id `case-<case id>`, task queue `aln-journey`).

A thin shell around the journey's pure rules (rules.py): it loads the calendars through an
activity (a local one since patch `one-task-settle`, so a new journey settles in one workflow
task), runs one updatable timer for the next alarm of any clock, calls the rule for each update
(validators refuse with a `Refusal` code), signal and alarm, and publishes what the rules return
through the journey outbox. workflows/README.md lists the messages it accepts.
"""

import functools
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from llwybr_clock.wales import wales_date
    from llwybr_contracts import journey as j
    from llwybr_contracts.events import ClockChanged, ClockMet, ClockStarted, Event, StateChanged
    from llwybr_contracts.journey import JOURNEY_WORKFLOW, CommandAccepted, JourneyInput
    from llwybr_contracts.temporal import TASK_QUEUE, health_workflow_id
    from llwybr_contracts.vocabulary import Refusal, RefusalCode
    from llwybr_workflows.journey import patches, rules
    from llwybr_workflows.journey.activities import load_case_setup
    from llwybr_workflows.journey.clockbook import shared_setup
    from llwybr_workflows.journey.contracts import CaseSetup, CaseSetupRequest, JourneyCarry
    from llwybr_workflows.journey.publisher import ACTIVITY_TIMEOUT, Publisher
    from llwybr_workflows.journey.refusal import refusal_error
    from llwybr_workflows.journey.rules import M
    from llwybr_workflows.journey.search import search_attributes
    from llwybr_workflows.journey.state import JourneyState, carried
    from llwybr_workflows.journey.timer import UpdatableTimer


@workflow.defn(name=JOURNEY_WORKFLOW)
class IdpJourney:
    def __init__(self) -> None:
        self._s: JourneyState | None = None
        self._pub = Publisher("")
        self._timer = UpdatableTimer()
        self._queue: list[Event] = []
        self._early: list[tuple[rules.FactRule[Any], Any]] = []
        self._continue = False
        self._calendar_reload = False
        # this run is on patch ONE_TASK_SETTLE: local activities, earlier patches in force
        self._born = False

    # -- run -----------------------------------------------------------------------------------

    @workflow.run
    async def run(
        self, journey: JourneyInput, carry: JourneyState | JourneyCarry | None = None
    ) -> None:
        # Started with one argument (the case API, the bridge) the SDK decodes it untyped
        # (argument count differs from the signature): validate it here either way.
        journey = JourneyInput.model_validate(journey)
        self._pub = Publisher(journey.case_id)
        if carry is None:
            self._apply(rules.start(journey, workflow.now(), workflow.info().workflow_id))
            self._born = self._pub.local = workflow.patched(patches.ONE_TASK_SETTLE)
            if not self._born:
                await self._pub.publish(self._queue.pop(0))
            if not self._patched(patches.STATUTORY_JOURNEY):
                await workflow.wait_condition(lambda: self._state.closed)
                return
            token_roles = self._patched(patches.ALERT_ROLES_ARE_TOKEN_ROLES)
            setup = await self._load_setup()
            # JourneyStarted (still queued on ONE_TASK_SETTLE) leaves with these in one batch
            self._apply(rules.begin(self._state, setup, workflow.now(), token_roles=token_roles))
        else:
            self._s = carried(journey, carry)
            self._born = self._pub.local = workflow.patched(patches.ONE_TASK_SETTLE)
            self._pub.seq = self._s.seq
            if self._s.ready:
                # fresh snapshots for the new cycle (bank holidays run 4 years ahead)
                await self._recompute_calendars()
            else:
                self._s = rules.adopt_setup(self._s, await self._load_setup())
        self._apply_early_facts()
        if not (self._born and any(self._moves_search_attributes(e) for e in self._queue)):
            await self._upsert()  # else the first drain sets them, in the same task
        await self._loop()
        # let every update finish (and publish what it queued) before closing or moving on
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain()
        if self._continue and not self._state.closed:
            next_run = rules.for_next_run(self._state, self._pub.seq)
            workflow.continue_as_new(args=[journey, next_run])

    @property
    def _state(self) -> JourneyState:
        assert self._s is not None
        return self._s

    def _patched(self, patch_id: str) -> bool:
        """`workflow.patched`, except that a run born on ONE_TASK_SETTLE has every patch before
        it in force and records no marker for them (fewer commands to settle)."""
        if self._born and patch_id in patches.BORN_WITH:
            return True
        return workflow.patched(patch_id)

    async def _load_setup(self) -> CaseSetup:
        journey = self._state.journey
        request = CaseSetupRequest(
            authority=journey.authority,
            # an FEI's term-time days: its calendar, imported under its UKPRN [assumed]
            school_ref=journey.school_ref or journey.institution,
            year=wales_date(workflow.now()).year,
        )
        if self._born:
            setup = await workflow.execute_local_activity(
                load_case_setup, request, start_to_close_timeout=ACTIVITY_TIMEOUT
            )
        else:
            setup = await workflow.execute_activity(
                load_case_setup, request, start_to_close_timeout=ACTIVITY_TIMEOUT
            )
        return shared_setup(setup)

    async def _recompute_calendars(self) -> None:
        setup = await self._load_setup()
        self._apply(rules.recalendar(self._state, setup, workflow.now()))

    async def _loop(self) -> None:
        while True:
            await self._drain()
            if self._calendar_reload:
                self._calendar_reload = False
                await self._recompute_calendars()
                continue
            if self._state.closed or self._continue:
                return
            self._timer.deadline = rules.next_alarm(self._state, workflow.now())
            await self._timer.sleep(until=lambda: bool(self._queue))
            self._apply(rules.fire_alarms(self._state, workflow.now()))

    def _apply(self, out: rules.Outcome) -> None:
        self._s = out.state
        self._queue.extend(out.events)
        if out.wake:
            self._timer.move()
        self._calendar_reload = self._calendar_reload or out.reload_calendars
        self._continue = self._continue or out.continue_as_new

    async def _drain(self) -> None:
        changed = False
        while self._queue:
            if len(self._queue) > 1 and self._patched(patches.BATCH_EVENTS):
                batch, self._queue = self._queue, []
                for event in batch:
                    changed = self._moves_search_attributes(event) or changed
                await self._pub.publish_batch(batch)
                continue
            event = self._queue.pop(0)
            changed = self._moves_search_attributes(event) or changed
            await self._pub.publish(event)
        if changed:
            await self._upsert()

    def _moves_search_attributes(self, event: Event) -> bool:
        if isinstance(event, StateChanged | ClockStarted | ClockChanged):
            return True
        # the next due date moves when a clock is met
        return isinstance(event, ClockMet) and self._patched(patches.UPSERT_ON_MET)

    async def _upsert(self) -> None:
        workflow.upsert_search_attributes(search_attributes(self._state))

    # -- updates and facts through the rules ---------------------------------------------------

    def _check(self, rule: rules.UpdateRule[M], cmd: M) -> None:
        """The validator: a refusal comes back at once; before the calendars are loaded only
        what can be known is checked, the rest when the handler runs."""
        if self._s is None:
            return
        if (bounded := rules.within_case(self._s, cmd, workflow.now())) is not None:
            raise refusal_error(bounded)
        out = rule(self._s, cmd, workflow.now())
        if isinstance(out, Refusal) and out.code != RefusalCode.JOURNEY_STARTING:
            raise refusal_error(out)

    async def _command(self, rule: rules.UpdateRule[M], cmd: M) -> rules.Outcome:
        if self._s is None or not self._s.ready:
            await workflow.wait_condition(lambda: self._s is not None and self._s.ready)
        if self._patched(patches.DATES_WITHIN_CASE):
            if (bounded := rules.within_case(self._state, cmd, workflow.now())) is not None:
                raise refusal_error(bounded)
        out = rule(self._state, cmd, workflow.now())
        if isinstance(out, Refusal):
            raise refusal_error(out)
        self._apply(out)
        return out

    def _fact(self, rule: rules.FactRule[M], fact: M) -> None:
        if self._s is not None and self._s.ready:
            self._apply(rule(self._s, fact, workflow.now()))
        elif self._patched(patches.HOLD_EARLY_FACTS):
            self._early.append((rule, fact))
        elif self._s is not None:
            self._apply(rule(self._s, fact, workflow.now()))

    def _apply_early_facts(self) -> None:
        """Facts that came while the calendars loaded, in the order they came."""
        early, self._early = self._early, []
        for rule, fact in early:
            self._apply(rule(self._state, fact, workflow.now()))

    @workflow.query(name=j.QUERY_STATUS)
    def status(self) -> j.JourneyStatus:
        return rules.status(self._state, workflow.now(), self._pub.seq)

    @workflow.update(name=j.UPDATE_RECORD_CONSENT)
    async def record_consent(self, cmd: j.RecordConsent) -> CommandAccepted:
        return (await self._command(rules.record_consent, cmd)).accepted()

    @record_consent.validator
    def _check_consent(self, cmd: j.RecordConsent) -> None:
        self._check(rules.record_consent, cmd)

    @workflow.update(name=j.UPDATE_REFER_TO_LA)
    async def refer_to_la(self, cmd: j.ReferToLa) -> CommandAccepted:
        return (await self._command(rules.refer_to_la, cmd)).accepted()

    @refer_to_la.validator
    def _check_refer(self, cmd: j.ReferToLa) -> None:
        self._check(rules.refer_to_la, cmd)

    @workflow.update(name=j.UPDATE_RECORD_DECISION)
    async def record_decision(self, cmd: j.RecordDecision) -> CommandAccepted:
        return (await self._command(rules.record_decision, cmd)).accepted()

    @record_decision.validator
    def _check_decision(self, cmd: j.RecordDecision) -> None:
        self._check(rules.record_decision, cmd)

    @workflow.update(name=j.UPDATE_REQUEST_HEALTH_INPUT)
    async def request_health_input(self, cmd: j.RequestHealthInput) -> CommandAccepted:
        out = await self._command(rules.request_health_input, cmd)
        await workflow.start_child_workflow(
            j.HEALTH_INPUT_WORKFLOW,
            rules.health_input_start(self._state, cmd),
            id=health_workflow_id(cmd.request_id),
            task_queue=TASK_QUEUE,
            # the journey continues-as-new at every review: that must never end the request
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        return out.accepted()

    @request_health_input.validator
    def _check_health(self, cmd: j.RequestHealthInput) -> None:
        self._check(rules.request_health_input, cmd)

    @workflow.update(name=j.UPDATE_WITHDRAW_HEALTH_INPUT)
    async def withdraw_health_input(self, cmd: j.WithdrawHealthInput) -> CommandAccepted:
        out = await self._command(rules.withdraw_health_input, cmd)
        child = workflow.get_external_workflow_handle(health_workflow_id(cmd.request_id))
        try:
            await child.signal(j.SIGNAL_WITHDRAW_HEALTH_INPUT, cmd)
        except FailureError:
            pass  # the child ended meanwhile (answered): its outcome signal follows
        return out.accepted()

    @withdraw_health_input.validator
    def _check_withdraw(self, cmd: j.WithdrawHealthInput) -> None:
        self._check(rules.withdraw_health_input, cmd)

    @workflow.update(name=j.UPDATE_RECORD_EXCEPTION)
    async def record_exception(self, cmd: j.RecordException) -> CommandAccepted:
        rule: rules.UpdateRule[j.RecordException] = rules.record_exception
        if (
            cmd.action == "pause"
            and cmd.until is None
            and cmd.from_ > wales_date(workflow.now())
            and self._patched(patches.OPEN_PAUSE_FROM_ITS_DATE)
        ):
            rule = functools.partial(rules.record_exception, alarms_before_pause=True)
        return (await self._command(rule, cmd)).accepted()

    @record_exception.validator
    def _check_exception(self, cmd: j.RecordException) -> None:
        self._check(rules.record_exception, cmd)

    @workflow.update(name=j.UPDATE_REQUEST_REVIEW)
    async def request_review(self, cmd: j.RequestReview) -> CommandAccepted:
        return (await self._command(rules.request_review, cmd)).accepted()

    @request_review.validator
    def _check_review(self, cmd: j.RequestReview) -> None:
        self._check(rules.request_review, cmd)

    @workflow.update(name=j.UPDATE_REQUEST_RECONSIDERATION)
    async def request_reconsideration(self, cmd: j.RequestReconsideration) -> CommandAccepted:
        return (await self._command(rules.request_reconsideration, cmd)).accepted()

    @request_reconsideration.validator
    def _check_reconsideration(self, cmd: j.RequestReconsideration) -> None:
        self._check(rules.request_reconsideration, cmd)

    @workflow.update(name=j.UPDATE_RECORD_RELEASE)
    async def record_release(self, cmd: j.RecordRelease) -> CommandAccepted:
        return (await self._command(rules.record_release, cmd)).accepted()

    @record_release.validator
    def _check_release(self, cmd: j.RecordRelease) -> None:
        self._check(rules.record_release, cmd)

    @workflow.update(name=j.UPDATE_REQUEST_TRIBUNAL_REVIEW)
    async def request_tribunal_review(self, cmd: j.RequestTribunalReview) -> CommandAccepted:
        return (await self._command(rules.request_tribunal_review, cmd)).accepted()

    @request_tribunal_review.validator
    def _check_tribunal_review(self, cmd: j.RequestTribunalReview) -> None:
        self._check(rules.request_tribunal_review, cmd)

    @workflow.update(name=j.UPDATE_REQUEST_FEI_TAKEOVER)
    async def request_fei_takeover(self, cmd: j.RequestFeiTakeover) -> CommandAccepted:
        return (await self._command(rules.request_fei_takeover, cmd)).accepted()

    @request_fei_takeover.validator
    def _check_fei_takeover(self, cmd: j.RequestFeiTakeover) -> None:
        self._check(rules.request_fei_takeover, cmd)

    @workflow.update(name=j.UPDATE_ANSWER_FEI_TAKEOVER)
    async def answer_fei_takeover(self, cmd: j.AnswerFeiTakeover) -> CommandAccepted:
        return (await self._command(rules.answer_fei_takeover, cmd)).accepted()

    @answer_fei_takeover.validator
    def _check_fei_answer(self, cmd: j.AnswerFeiTakeover) -> None:
        self._check(rules.answer_fei_takeover, cmd)

    @workflow.signal(name=j.SIGNAL_IDP_ISSUED)
    def idp_issued(self, fact: j.IdpIssuedFact) -> None:
        self._fact(rules.idp_issued, fact)

    @workflow.signal(name=j.SIGNAL_IDP_REVIEWED)
    def idp_reviewed(self, fact: j.IdpReviewedFact) -> None:
        self._fact(rules.idp_reviewed, fact)

    @workflow.signal(name=j.SIGNAL_IDP_TRANSFERRED)
    def idp_transferred(self, fact: j.IdpTransferredFact) -> None:
        self._fact(rules.idp_transferred, fact)

    @workflow.signal(name=j.SIGNAL_IDP_CEASED)
    def idp_ceased(self, fact: j.IdpCeasedFact) -> None:
        self._fact(rules.idp_ceased, fact)

    @workflow.signal(name=j.SIGNAL_HEALTH_INPUT_OUTCOME)
    def health_input_outcome(self, outcome: j.HealthInputOutcome) -> None:
        self._fact(rules.health_input_outcome, outcome)

    @workflow.signal(name=j.SIGNAL_DISAGREEMENT_RAISED)
    def disagreement_raised(self, fact: j.DisagreementRaisedFact) -> None:
        self._fact(rules.disagreement_raised, fact)

    @workflow.signal(name=j.SIGNAL_APPEAL_LODGED)
    def appeal_lodged(self, fact: j.AppealLodgedFact) -> None:
        self._fact(rules.appeal_lodged, fact)

    @workflow.signal(name=j.SIGNAL_APPEAL_DECIDED)
    def appeal_decided(self, fact: j.AppealDecidedFact) -> None:
        orders_idp = self._patched(patches.APPEAL_ORDER_REOPENS_IDP)
        review = self._patched(patches.TRIBUNAL_REVIEW_WINDOW)
        rule = functools.partial(rules.appeal_decided, orders_idp=orders_idp, review_window=review)
        self._fact(rule, fact)

    @workflow.signal(name=j.SIGNAL_ADVOCACY_HANDOFF_ACCEPTED)
    def advocacy_handoff_accepted(self, fact: j.AdvocacyHandoffAcceptedFact) -> None:
        # a journey whose history predates the fact ignores it (it was never signalled then)
        if self._patched(patches.ADVOCATE_APPEAL_ALERT):
            self._fact(rules.advocacy_handoff_accepted, fact)

    @workflow.signal(name=j.SIGNAL_CALENDAR_CHANGED)
    def calendar_changed(self, fact: j.CalendarChangedFact) -> None:
        self._fact(rules.calendar_changed, fact)
