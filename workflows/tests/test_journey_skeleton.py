"""`IdpJourney` announces itself once, with a stable event id, on both Temporal servers."""

import asyncio
import uuid
from datetime import date

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from llwybr_common.journey import start_journey
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id
from llwybr_workflows.journey.activities import journey_event_id, load_case_setup
from llwybr_workflows.journey.contracts import PublishJourneyEvent
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


def journey(case_id: str) -> JourneyInput:
    return JourneyInput(
        case_id=case_id,
        child_ref="ch-1",
        authority="W06000015",
        received_on=date(2026, 11, 16),
        state=CaseState.DECISION_PENDING,
    )


async def test_journey_publishes_journey_started_once(journey_env: WorkflowEnvironment) -> None:
    temporal_env = journey_env
    published: list[PublishJourneyEvent] = []

    @activity.defn(name="record_journey_event")
    async def record(request: PublishJourneyEvent) -> str:
        published.append(request)
        return journey_event_id(request.workflow_id, request.seq)

    @activity.defn(name="record_journey_events")  # a new journey's first batch (one task)
    async def record_many(requests: list[PublishJourneyEvent]) -> list[str]:
        published.extend(requests)
        return [journey_event_id(r.workflow_id, r.seq) for r in requests]

    case_id = uuid.uuid4().hex
    async with Worker(
        temporal_env.client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney],
        activities=[record, record_many, load_case_setup],
    ):
        assert await start_journey(temporal_env.client, journey(case_id)) is True
        # The bridge's later start from CaseOpened is a no-op.
        assert await start_journey(temporal_env.client, journey(case_id)) is False
        handle = temporal_env.client.get_workflow_handle(journey_workflow_id(case_id))
        for _ in range(100):
            status = await handle.query(IdpJourney.status)
            if status.events_published:
                break
            await asyncio.sleep(0.05)
        assert status.state == CaseState.DECISION_PENDING
        await handle.terminate("test over")

    # JourneyStarted first (then the clock routing chose)
    assert published[0].event_type == "wales.aln.journey.journey-started.v1"
    assert published[0].subject == case_id
    assert published[0].payload["workflow_id"] == f"case-{case_id}"
    # The id is derived from workflow id and sequence: a retry writes the same id.
    assert journey_event_id(f"case-{case_id}", 1) == journey_event_id(f"case-{case_id}", 1)
    assert journey_event_id(f"case-{case_id}", 1) != journey_event_id(f"case-{case_id}", 2)
