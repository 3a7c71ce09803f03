"""The one way a journey workflow publishes: its events go to the journey outbox through the
`record_journey_event(s)` activities, numbered by `seq` so the event id (derived from workflow
id and seq) is the same on every activity retry. A journey on patch `one-task-settle` runs them
as local activities (in the worker, within the workflow task: no activity task round trip
through the server); the outbox row's id makes a re-run after a worker crash harmless."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from llwybr_contracts.events import Event
    from llwybr_workflows.journey.activities import JourneyActivities
    from llwybr_workflows.journey.contracts import PublishJourneyEvent

ACTIVITY_TIMEOUT = timedelta(seconds=30)


class Publisher:
    def __init__(self, subject: str, seq: int = 0, *, local: bool = False) -> None:
        self.subject = subject
        self.seq = seq
        self.local = local

    def _request(self, event: Event) -> PublishJourneyEvent:
        self.seq += 1
        return PublishJourneyEvent(
            workflow_id=workflow.info().workflow_id,
            seq=self.seq,
            subject=self.subject,
            event_type=event.cloudevent_type(),
            payload=event.model_dump(mode="json"),
        )

    async def publish(self, event: Event) -> None:
        if self.local:
            await self.publish_batch([event])
            return
        await workflow.execute_activity_method(
            JourneyActivities.record_journey_event,
            self._request(event),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    async def publish_batch(self, events: list[Event]) -> None:
        """The events of one step in one activity (one outbox transaction)."""
        if self.local:
            await workflow.execute_local_activity_method(
                JourneyActivities.record_journey_events,
                [self._request(e) for e in events],
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
            return
        await workflow.execute_activity_method(
            JourneyActivities.record_journey_events,
            [self._request(e) for e in events],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
