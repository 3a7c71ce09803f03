"""A fact that comes while the journey is still loading its calendars is held, then applied in
order once the journey is ready (time-skipping server)."""

import pytest
from journey_kit import (
    AUTHORITY,
    case_input,
    clock_of,
    eventually,
    journey_worker,
    new_case,
    status,
    today,
)
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.journey import SIGNAL_IDP_ISSUED, IdpCeasedFact, IdpIssuedFact
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def test_idp_issued_before_setup_takes_effect(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        issued = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        journey = case_input(
            case, issued, body=DecidingBody.LOCAL_AUTHORITY, state=CaseState.IDP_IN_PREPARATION
        )
        # signal-with-start: the fact is in the journey's first task, before JourneyStarted is
        # published and long before load_case_setup answers
        handle = await env.client.start_workflow(
            IdpJourney.run,
            journey,
            id=wid,
            task_queue=TASK_QUEUE,
            start_signal=SIGNAL_IDP_ISSUED,
            start_signal_args=[IdpIssuedFact(event_id="i-early", idp_id="p-1", on=issued)],
        )
        # a second fact right behind it: it only makes sense after the first one
        await handle.signal(
            IdpJourney.idp_ceased,
            IdpCeasedFact(event_id="c-early", idp_id="p-1", on=issued, reason="left"),
        )
        await eventually(lambda: len(outbox.of(wid, "AppealWindowOpened")) == 1)
        st = await status(handle)
        assert st.state == CaseState.CEASING
        assert clock_of(st, "idp-review").start == issued
        changes = [(e["previous"], e["state"]) for e in outbox.of(wid, "StateChanged")]
        assert changes == [("idp-in-preparation", "idp-active"), ("idp-active", "ceasing")]
        # an LA's decision to cease is appealable (Act s.70): the window opened
        assert [e["rule"] for e in outbox.of(wid, "ClockStarted")] == [
            "idp-review",
            "tribunal-appeal",
        ]
        assert outbox.of(wid, "JourneyStarted")[0]["authority"] == AUTHORITY
        await handle.terminate("test over")
