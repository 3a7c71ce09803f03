"""A run that starts from the old continue-as-new carry (`JourneyCarry`, before the state was
one value) still loads it and runs its clocks; a refused update never enters the history."""

import asyncio
import json
from pathlib import Path

import pytest
from journey_kit import case_input, clock_of, expected, journey_worker, new_case, status, today
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id
from llwybr_workflows.journey.contracts import ClockRecord, JourneyCarry
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service

HISTORIES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "histories"


async def test_a_run_started_with_the_old_carry_loads_it(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        journey = case_input(case, start, body=DecidingBody.LOCAL_AUTHORITY)
        review = ClockRecord(key="idp-review", rule="idp-review", start=start)
        carry = JourneyCarry(
            seq=12,
            state=CaseState.IDP_ACTIVE,
            deciding_body=DecidingBody.LOCAL_AUTHORITY,
            maintainer="local-authority",
            clocks=(review,),
            seen=("i-1",),
            reviews_held=1,
        )
        handle = await env.client.start_workflow(
            IdpJourney.run, args=[journey, carry], id=wid, task_queue=TASK_QUEUE
        )
        st = await status(handle)
        for _ in range(200):  # the run loads its calendars first
            if st.clocks:
                break
            await asyncio.sleep(0.05)
            st = await status(handle)
        assert st.state == CaseState.IDP_ACTIVE
        assert clock_of(st, "idp-review").due == expected("idp-review", start).due()
        assert st.events_published == 12  # the next event id follows the old run's
        await handle.terminate("test over")
        assert outbox.of(wid) == []  # a carried run announces nothing new by itself


def test_a_refused_update_is_not_in_the_saved_history() -> None:
    saved = json.loads((HISTORIES / "journey-rules-shell-breach-review.json").read_text())
    accepted = [
        e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["name"]
        for e in saved["history"]["events"]
        if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
    ]
    # the recording sent record_consent (refused: consent-not-pending) then record_decision
    assert accepted == ["record_decision"]
