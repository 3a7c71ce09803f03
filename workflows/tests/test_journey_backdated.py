"""Core paths on both servers (the dev server cannot skip time: back-dated starts make
deadlines already due or breached). Search attributes readable on the dev server."""

import asyncio
from datetime import timedelta

import pytest
from journey_kit import (
    AUTHORITY,
    case_input,
    clock_of,
    eventually,
    expected,
    journey_worker,
    new_case,
    next_run,
    start_case,
    status,
    today,
)
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.journey import (
    HealthInputReceivedFact,
    IdpIssuedFact,
    IdpReviewedFact,
    RecordDecision,
    RequestHealthInput,
)
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import health_workflow_id, journey_workflow_id
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from llwybr_workflows.signals import open_cases_query

pytestmark = pytest.mark.service


async def test_backdated_la_case_is_breached_then_decided(
    journey_env: WorkflowEnvironment, temporal_env_kind: str
) -> None:
    env = journey_env
    async with journey_worker(env) as outbox:
        now = await today(env)
        start = now - timedelta(days=88)
        clock = expected("la-decision", start)
        due = clock.due()
        assert due is not None and due < now <= due + timedelta(days=7)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        await eventually(lambda: len(outbox.of(wid, "DeadlineBreached")) == 2)
        # a late start announces the breach, not the stale warnings before it
        assert outbox.of(wid, "DeadlineAtRisk") == [] and outbox.of(wid, "DeadlineDue") == []
        assert {b["due"] for b in outbox.of(wid, "DeadlineBreached")} == {due.isoformat()}
        assert clock_of(await status(handle), "la-decision").status == "overdue"
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="no-aln", decided_on=now, notice_given_on=now),
        )
        await eventually(lambda: len(outbox.of(wid, "AppealWindowOpened")) == 1)
        st = await status(handle)
        assert st.state == CaseState.NO_ALN
        assert clock_of(st, "la-decision").met_on == now
        assert clock_of(st, "tribunal-appeal").due == expected("tribunal-appeal", now).due()
        if temporal_env_kind == "dev":
            described = await handle.describe()
            attrs = described.search_attributes
            assert attrs["LlwybrCaseState"] == ["no-aln"]
            assert attrs["LlwybrAuthority"] == [AUTHORITY]
            assert attrs["LlwybrDecidingBody"] == ["local-authority"]
            assert attrs["LlwybrNextDue"]
        await handle.terminate("test over")


async def test_backdated_health_request_breached_then_answered(
    journey_env: WorkflowEnvironment,
) -> None:
    env = journey_env
    async with journey_worker(env) as outbox:
        now = await today(env)
        sent = now - timedelta(days=46)
        due = expected("health-response", sent).due()
        assert due is not None and due < now
        case, rid = new_case(), new_case()
        # the case was referred on the day of the request: no step precedes its referral
        handle = await start_case(
            env, case_input(case, sent, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        await handle.execute_update(
            IdpJourney.request_health_input,
            RequestHealthInput(actor="u-1", request_id=rid, sent_on=sent),
        )
        hid = health_workflow_id(rid)
        await eventually(lambda: len(outbox.of(hid, "DeadlineBreached")) == 2)
        roles = [b["alert_role"] for b in outbox.of(hid, "DeadlineBreached")]
        assert roles == ["declo", "la-officer"]
        child = env.client.get_workflow_handle_for(HealthInput.run, hid)
        await child.signal(
            HealthInput.received,
            HealthInputReceivedFact(
                event_id=f"h-{rid}", request_id=rid, outcome="no-service", answered_on=now
            ),
        )
        assert (await child.result()).outcome == "no-service"
        for _ in range(100):
            view = clock_of(await status(handle), "health-response", rid)
            if view.met_on is not None:
                break
        assert view.met_on == now
        await handle.terminate("test over")


async def test_backdated_idp_review_continues_as_new(journey_env: WorkflowEnvironment) -> None:
    env = journey_env
    async with journey_worker(env) as outbox:
        now = await today(env)
        start = now - timedelta(days=20)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="aln", decided_on=start + timedelta(days=5)),
        )
        issued = start + timedelta(days=10)
        await handle.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id=f"i-{case}", idp_id="p", on=issued)
        )
        await handle.signal(
            IdpJourney.idp_reviewed, IdpReviewedFact(event_id=f"r-{case}", idp_id="p", on=now)
        )
        latest = env.client.get_workflow_handle_for(IdpJourney.run, wid)
        await next_run(latest, handle.result_run_id)
        st = await status(latest)
        assert st.state == CaseState.IDP_ACTIVE
        assert clock_of(st, "idp-review").due == expected("idp-review", now).due()
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 3)
        assert [e["rule"] for e in outbox.of(wid, "ClockMet")] == ["school-decision", "idp-review"]
        await latest.terminate("test over")


@pytest.mark.dev_server  # visibility queries need the dev server
async def test_bridge_finds_an_authoritys_open_journeys(
    journey_env: WorkflowEnvironment, temporal_env_kind: str
) -> None:
    """CalendarChanged reaches every running journey of the authority via visibility."""
    env = journey_env
    async with journey_worker(env):
        now = await today(env)
        cases = [new_case(), new_case()]
        handles = [await start_case(env, case_input(c, now)) for c in cases]
        wanted = {journey_workflow_id(c) for c in cases}
        found: set[str] = set()
        for _ in range(100):
            found = {wf.id async for wf in env.client.list_workflows(open_cases_query(AUTHORITY))}
            if wanted <= found:
                break
            await asyncio.sleep(0.1)
        assert wanted <= found
        for handle in handles:
            await handle.terminate("test over")
