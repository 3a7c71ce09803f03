"""The bridge's facts-to-signals mapping, and a fact signalled by it ending a health request;
a fact for a workflow that no longer exists is acknowledged (time-skipping server)."""

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from journey_kit import AUTHORITY, case_input, journey_worker, new_case, start_case, today
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts import events as ev
from llwybr_contracts import journey as j
from llwybr_contracts.journey import RequestHealthInput
from llwybr_contracts.states import DecidingBody
from llwybr_workflows.bridge import send_signal
from llwybr_workflows.calendar_fanout import signal_calendar_changed
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from llwybr_workflows.signals import SIGNALLED, fact_signal, open_cases_query

D = date(2026, 11, 16)
SAMPLES: list[ev.Event] = [
    ev.HealthInputReceived(case_id="c1", request_id="r1", outcome="no-service", answered_on=D),
    ev.HealthInputImpractical(case_id="c1", request_id="r1", recorded_on=D),
    ev.IdpIssued(case_id="c1", idp_id="p1", on=D),
    ev.IdpReviewed(case_id="c1", idp_id="p1", on=D, revised=True),
    # Version 2 (with the plan's provision counts) is routed as version 1.
    ev.IdpIssuedV2(case_id="c1", idp_id="p1", on=D, provision_items=2, provision_items_in_welsh=1),
    ev.IdpReviewedV2(
        case_id="c1", idp_id="p1", on=D, revised=True, provision_items=1, provision_items_in_welsh=0
    ),
    ev.IdpTransferred(case_id="c1", idp_id="p1", on=D, to_body="la:W06000011"),
    ev.IdpCeased(case_id="c1", idp_id="p1", on=D, reason="left"),
    ev.AdvocacyHandoffAccepted(case_id="c1", provider="advocacy:snap-cymru", accepted_on=D),
    ev.DisagreementRaised(case_id="c1", raised_on=D),
    ev.AppealLodged(case_id="c1", lodged_on=D),
    ev.AppealDecided(case_id="c1", decided_on=D, outcome="dismissed"),
]


@pytest.mark.unit
@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_signalled_fact_has_one_route(event: ev.Event) -> None:
    assert any(isinstance(event, kinds) for kinds in SIGNALLED.values())
    route = fact_signal("evt-1", event)
    assert route is not None
    workflow_id, name, payload = route
    expected_id = "health-r1" if "HealthInput" in type(event).__name__ else "case-c1"
    assert workflow_id == expected_id
    assert payload.event_id == "evt-1"
    handlers = {**IdpJourney.__dict__, **HealthInput.__dict__}
    assert any(
        getattr(h, "__temporal_signal_definition", None) is not None
        and h.__temporal_signal_definition.name == name
        for h in handlers.values()
    )


@pytest.mark.unit
def test_facts_that_began_as_updates_are_not_signalled() -> None:
    assert fact_signal("e", ev.ConsentRecorded(case_id="c1", answer="given", given_on=D)) is None
    assert "LlwybrAuthority = 'W06000015'" in open_cases_query("W06000015")


@pytest.mark.service
async def test_bridge_signal_ends_a_health_request(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env):
        start = await today(env)
        case, rid = new_case(), new_case()
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        await handle.execute_update(
            IdpJourney.request_health_input,
            RequestHealthInput(actor="u-1", request_id=rid, sent_on=start),
        )
        fact = ev.HealthInputImpractical(
            case_id=case, request_id=rid, recorded_on=start + timedelta(days=1)
        )
        route = fact_signal("evt-9", fact)
        assert route is not None
        assert await send_signal(env.client, *route) is True
        child = env.client.get_workflow_handle_for(HealthInput.run, route[0])
        assert (await child.result()).outcome == "impractical"
        assert await send_signal(env.client, "health-no-such", j.SIGNAL_IDP_ISSUED, {}) is False
        for _ in range(100):
            st = await handle.query(IdpJourney.status)
            view = next(c for c in st.clocks if c.subject == rid)
            if view.due is None:
                break
            await asyncio.sleep(0.05)
        assert view.due is None  # lifted from the recorded date (Regs reg 11(3))
        await handle.terminate("test over")


@pytest.mark.dev_server  # visibility queries need the dev server
async def test_calendar_changed_reaches_each_running_journey_of_the_authority_once(
    journey_env: WorkflowEnvironment, temporal_env_kind: str
) -> None:
    env = journey_env
    async with journey_worker(env):
        now = await today(env)
        ours = [await start_case(env, case_input(new_case(), now)) for _ in range(3)]
        other = case_input(new_case(), now).model_copy(update={"authority": "W06000011"})
        theirs = await start_case(env, other)
        wanted = {h.id for h in ours}
        for _ in range(100):  # visibility follows the start
            found = {wf.id async for wf in env.client.list_workflows(open_cases_query(AUTHORITY))}
            if wanted <= found:
                break
            await asyncio.sleep(0.1)
        fact = j.CalendarChangedFact(event_id=new_case(), authority=AUTHORITY, calendar_version="v")
        assert await signal_calendar_changed(env.client, fact) >= 3

        async def signals(handle: WorkflowHandle[Any, Any]) -> list[str]:
            return [
                e.workflow_execution_signaled_event_attributes.signal_name
                async for e in handle.fetch_history_events()
                if e.HasField("workflow_execution_signaled_event_attributes")
            ]

        for handle in ours:
            assert await signals(handle) == [j.SIGNAL_CALENDAR_CHANGED]
        assert await signals(theirs) == []  # another authority's calendar did not change
        for handle in [*ours, theirs]:
            await handle.terminate("test over")
