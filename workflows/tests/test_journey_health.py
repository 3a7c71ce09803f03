"""HealthInput (Regs reg 11, 6 weeks from receipt): answered on day 20, answered late, never
answered and escalated twice; withdrawn (time-skipping server; dates from the clock)."""

from datetime import timedelta

import pytest
from journey_kit import (
    AUTHORITY,
    BOARD,
    advance_to,
    at,
    case_input,
    clock_of,
    eventually,
    expected,
    journey_worker,
    new_case,
    refusal,
    start_case,
    status,
    today,
)
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.journey import (
    HealthInputReceivedFact,
    RequestHealthInput,
    WithdrawHealthInput,
)
from llwybr_contracts.states import DecidingBody
from llwybr_contracts.temporal import health_workflow_id
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def _request(env: WorkflowEnvironment, case: str, rid: str):  # type: ignore[no-untyped-def]
    start = await today(env)
    handle = await start_case(
        env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
    )
    await handle.execute_update(
        IdpJourney.request_health_input,
        RequestHealthInput(actor="u-1", request_id=rid, sent_on=start),
    )
    return handle, start


async def test_health_answered_on_day_20(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case, rid = new_case(), new_case()
        handle, start = await _request(env, case, rid)
        hid = health_workflow_id(rid)
        due = expected("health-response", start).due()
        await eventually(lambda: len(outbox.of(hid, "ClockStarted")) == 1)
        requested = outbox.of(hid, "HealthInputRequested")[0]
        assert requested["start"] == start.isoformat() and requested["due"] == due.isoformat()
        assert requested["authority"] == AUTHORITY
        answered = start + timedelta(days=20)
        await advance_to(env, at(answered, 14))
        child = env.client.get_workflow_handle_for(HealthInput.run, hid)
        fact = HealthInputReceivedFact(
            event_id="h-1", request_id=rid, outcome="service-identified",
            welsh_delivery=True, answered_on=answered)  # fmt: skip
        await child.signal(HealthInput.received, fact)
        await child.signal(HealthInput.received, fact)  # a redelivery changes nothing
        outcome = await child.result()
        assert (outcome.outcome, outcome.on) == ("service-identified", answered)
        assert [e["met_on"] for e in outbox.of(hid, "ClockMet")] == [answered.isoformat()]
        assert [n for n in outbox.names(hid) if n.startswith("deadline")] == []
        await eventually(lambda: True)
        st = await status(handle)
        assert clock_of(st, "health-response", rid).met_on == answered
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.withdraw_health_input,
                WithdrawHealthInput(actor="u-1", request_id=rid, on=answered),
            )
        assert refusal(refused.value) == {
            "code": "health-request-answered",
            "params": {"request_id": rid, "outcome": "service-identified"},
        }
        await handle.terminate("test over")


async def test_health_answered_late(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case, rid = new_case(), new_case()
        handle, start = await _request(env, case, rid)
        hid = health_workflow_id(rid)
        clock = expected("health-response", start)
        due = clock.due()
        assert due is not None
        await advance_to(env, at(due + timedelta(days=3), 10))
        await eventually(lambda: len(outbox.of(hid, "DeadlineBreached")) == 2)
        risks = outbox.of(hid, "DeadlineAtRisk")
        assert [r["alert_role"] for r in risks] == ["declo", "declo"]
        assert {r["alert_scope"] for r in risks} == {f"board:{BOARD}"}
        assert [r["request_id"] for r in risks] == [rid, rid]
        breached = outbox.of(hid, "DeadlineBreached")
        assert [(b["alert_role"], b["alert_scope"]) for b in breached] == [
            ("declo", f"board:{BOARD}"),
            ("la-officer", f"la:{AUTHORITY}"),
        ]
        late = due + timedelta(days=3)
        child = env.client.get_workflow_handle_for(HealthInput.run, hid)
        await child.signal(
            HealthInput.received,
            HealthInputReceivedFact(
                event_id="h-2", request_id=rid, outcome="no-service", answered_on=late
            ),
        )
        assert (await child.result()).outcome == "no-service"
        await eventually(lambda: True)
        st = await status(handle)
        view = clock_of(st, "health-response", rid)
        assert (view.met_on, view.due) == (late, due)
        # docs/rules.md#met: done after its due date is still met, counted 3 days late
        assert (view.status, view.days_late) == ("met", 3)
        await handle.terminate("test over")


async def test_health_never_answered_escalates_twice(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case, rid = new_case(), new_case()
        handle, start = await _request(env, case, rid)
        hid = health_workflow_id(rid)
        due = expected("health-response", start).due()
        assert due is not None
        await advance_to(env, at(due + timedelta(days=15), 0, 1))
        await eventually(lambda: len(outbox.of(hid, "DeadlineEscalated")) == 1)
        deadline = [(n, e["alert_role"], e["escalation_level"]) for n in
                    ("DeadlineBreached", "DeadlineEscalated") for e in outbox.of(hid, n)]  # fmt: skip
        # first escalation on breach (DECLO and the LA officer), second 14 days later
        assert deadline == [
            ("DeadlineBreached", "declo", 2),
            ("DeadlineBreached", "la-officer", 2),
            ("DeadlineEscalated", "board-aln-lead", 3),
        ]
        await advance_to(env, at(due + timedelta(days=60)))
        assert len(outbox.of(hid, "DeadlineEscalated")) == 1  # the ladder has no further rung
        await handle.execute_update(
            IdpJourney.withdraw_health_input,
            WithdrawHealthInput(actor="u-1", request_id=rid, on=due + timedelta(days=60)),
        )
        child = env.client.get_workflow_handle_for(HealthInput.run, hid)
        assert (await child.result()).outcome == "withdrawn"
        assert outbox.of(hid, "HealthInputWithdrawn")[0]["request_id"] == rid
        st = await status(handle)
        assert [c for c in st.clocks if c.subject == rid] == []  # withdrawn is not met
        assert any(t.kind == "HealthInputWithdrawn" for t in st.timeline)
        await handle.terminate("test over")
