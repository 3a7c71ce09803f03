"""`IdpJourney`: one per case (id `case-<case id>`, task queue `aln-journey`).

Walking skeleton: announces itself with `JourneyStarted` and waits. The statutory journey
(ALN_RULES.md section 8) is built on this in its own issue.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from llwybr_contracts.events import Event, JourneyStarted
    from llwybr_contracts.journey import JOURNEY_WORKFLOW, JourneyInput, JourneyStatus
    from llwybr_contracts.states import CaseState

    from llwybr_workflows.journey.contracts import PublishJourneyEvent


@workflow.defn(name=JOURNEY_WORKFLOW)
class IdpJourney:
    def __init__(self) -> None:
        self._seq = 0
        self._case_id = ""
        self._state = CaseState.DECISION_PENDING
        self._closed = False

    @workflow.run
    async def run(self, journey: JourneyInput) -> None:
        self._case_id = journey.case_id
        self._state = journey.state
        await self._publish(
            JourneyStarted(
                case_id=journey.case_id,
                workflow_id=workflow.info().workflow_id,
                state=journey.state,
                authority=journey.authority,
            )
        )
        await workflow.wait_condition(lambda: self._closed)

    @workflow.query
    def status(self) -> JourneyStatus:
        return JourneyStatus(case_id=self._case_id, state=self._state, events_published=self._seq)

    async def _publish(self, event: Event) -> None:
        self._seq += 1
        await workflow.execute_activity(
            "record_journey_event",
            PublishJourneyEvent(
                workflow_id=workflow.info().workflow_id,
                seq=self._seq,
                subject=self._case_id,
                event_type=event.cloudevent_type(),
                payload=event.model_dump(mode="json"),
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )
