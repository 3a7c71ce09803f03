"""Dates that cannot be (docs/rules.md): on a running journey, a decision dated before the
referral is refused by the validator, naming the field and the bound, and changes nothing."""

from datetime import date, timedelta

import pytest
from journey_kit import (
    advance_to,
    at,
    case_input,
    clock_of,
    eventually,
    journey_worker,
    new_case,
    refusal,
    start_case,
    status,
    today,
)
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.journey import RecordDecision
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def test_a_no_aln_decision_dated_1990_is_refused_and_the_clock_runs_on(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        await eventually(lambda: "clock-started" in outbox.names(wid))
        old = date(1990, 1, 1)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.record_decision,
                RecordDecision(actor="u-1", outcome="no-aln", decided_on=old, notice_given_on=old),
            )
        assert refusal(refused.value) == {
            "code": "date-before-referral",
            "params": {"field": "decided_on", "day": "1990-01-01", "bound": start.isoformat()},
        }
        st = await status(handle)
        assert st.state == CaseState.DECISION_PENDING
        assert clock_of(st, "school-decision").met_on is None, "the clock was not met"
        done = await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="no-aln", decided_on=start, notice_given_on=start),
        )
        assert done.state == CaseState.NO_ALN
        await handle.terminate("test over")


async def test_the_case_closes_at_the_end_of_the_year_the_learner_turns_25(
    skipping: WorkflowEnvironment,
) -> None:
    """docs/rules.md s.6, Age: duties end on 31 August of the academic year in which a young
    person turns 25; from 00:00 the next day the journey closes the case with that reason."""
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        ends = start + timedelta(days=40)
        journey = case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        handle = await start_case(env, journey.model_copy(update={"duties_end": ends}))
        await advance_to(env, at(ends, 23, 59))
        assert (await status(handle)).state == CaseState.DECISION_PENDING
        await advance_to(env, at(ends + timedelta(days=1), 0, 1))
        await eventually(lambda: len(outbox.of(wid, "CaseClosed")) == 1)
        closed = outbox.of(wid, "CaseClosed")[0]
        assert (closed["reason"], closed["closed_on"]) == ("duties-ended-age-25", ends.isoformat())
        await handle.result()  # the journey ends with its case
