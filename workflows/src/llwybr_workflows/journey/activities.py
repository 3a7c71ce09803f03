"""Activities of the journey: the only place its events touch a database.

The journey publishes through its own outbox (schema `journey`), like every service, so
`llwybr replay` covers its events and an activity retry cannot publish twice.
"""

import uuid

from llwybr_common.outbox import add_event
from llwybr_common.runtime import Runtime
from llwybr_contracts.events import payload_class
from sqlalchemy.exc import IntegrityError
from temporalio import activity

from llwybr_workflows.journey.contracts import PublishJourneyEvent

# Stable namespace for journey event ids: uuid5(namespace, "<workflow id>/<seq>").
JOURNEY_EVENT_NAMESPACE = uuid.UUID("6f1c3b2a-7d4e-5a10-9b8c-0e2f4a6d8c11")


def journey_event_id(workflow_id: str, seq: int) -> str:
    return str(uuid.uuid5(JOURNEY_EVENT_NAMESPACE, f"{workflow_id}/{seq}"))


class JourneyActivities:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    @activity.defn(name="record_journey_event")
    async def record_journey_event(self, request: PublishJourneyEvent) -> str:
        cls = payload_class(request.event_type)
        if cls is None:
            raise ValueError(f"unknown event type {request.event_type!r}")
        event = cls.model_validate(request.payload)
        event_id = journey_event_id(request.workflow_id, request.seq)
        try:
            async with self._rt.session() as session:
                add_event(
                    session,
                    event,
                    event_id=event_id,
                    source=self._rt.source,
                    subject=request.subject,
                )
        except IntegrityError:
            pass  # written by an earlier attempt of this activity: nothing more to do
        self._rt.relay.wake()
        return event_id
