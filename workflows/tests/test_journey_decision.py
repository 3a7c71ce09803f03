"""Decision pending: a school case decided in time, one that breaches and escalates, an LA
referral, a pause that moves the breach exactly (time-skipping server; dates from the clock)."""

from datetime import timedelta

import pytest
from journey_kit import (
    AUTHORITY,
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

from llwybr_contracts.journey import IdpIssuedFact, RecordDecision, RecordException, ReferToLa
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def test_school_case_decided_in_time(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        clock = expected("school-decision", start)
        due = clock.due()
        assert due is not None
        await eventually(lambda: "clock-started" in outbox.names(wid))
        st = await status(handle)
        view = clock_of(st, "school-decision")
        assert (view.due, view.warnings) == (due, list(clock.warnings()))
        assert view.calendar_version == clock.calendar_version
        assert outbox.names(wid)[:2] == ["journey-started", "clock-started"]

        # first warning (10 school days before due) at 09:00 in Wales: the school's ALNCo
        first = clock.warnings()[0]
        await advance_to(env, at(first, 8, 59))
        assert outbox.of(wid, "DeadlineAtRisk") == []
        await advance_to(env, at(first, 9, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) == 1)
        risk = outbox.of(wid, "DeadlineAtRisk")[0]
        assert (risk["alert_role"], risk["alert_scope"]) == ("school-alnco", "school:sch-1")
        assert (risk["due"], risk["escalation_level"]) == (due.isoformat(), 0)

        decided = due - timedelta(days=3)
        await advance_to(env, at(decided, 10))
        result = await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="aln", decided_on=decided),
        )
        assert result.state == CaseState.IDP_IN_PREPARATION
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.record_decision,
                RecordDecision(actor="u-1", outcome="aln", decided_on=decided),
            )
        assert refusal(refused.value)["code"] == "decision-already-recorded"
        await handle.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id="e-1", idp_id="idp-1", on=decided)
        )
        await advance_to(env, at(due + timedelta(days=2), 1))
        st = await status(handle)
        assert st.state == CaseState.IDP_ACTIVE
        assert clock_of(st, "school-decision").met_on == decided
        assert clock_of(st, "idp-review").due == expected("idp-review", decided).due()
        names = outbox.names(wid)
        assert "deadline-due" not in names and "deadline-breached" not in names
        assert [e["rule"] for e in outbox.of(wid, "ClockMet")] == ["school-decision"]
        assert [e["state"] for e in outbox.of(wid, "StateChanged")] == [
            "idp-in-preparation",
            "idp-active",
        ]
        await handle.terminate("test over")


async def test_la_case_breaches_and_escalates_weekly(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        clock = expected("la-decision", start)
        due = clock.due()
        assert due is not None
        await advance_to(env, at(due, 9, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineDue")) == 2)
        risks = outbox.of(wid, "DeadlineAtRisk")
        assert [r["alert_role"] for r in risks] == ["la-officer", "la-officer"]
        assert {r["alert_scope"] for r in risks} == {f"la:{AUTHORITY}"}
        assert [r["alert_role"] for r in outbox.of(wid, "DeadlineDue")] == [
            "la-officer",
            "la-manager",
        ]

        await advance_to(env, at(due, 23, 59))
        assert outbox.of(wid, "DeadlineBreached") == []
        await advance_to(env, at(due + timedelta(days=1), 0, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineBreached")) == 2)
        breached = outbox.of(wid, "DeadlineBreached")
        assert [(b["alert_role"], b["escalation_level"]) for b in breached] == [
            ("la-manager", 2),
            ("head-of-service", 2),  # the role tokens carry (patch alert-roles-are-token-roles)
        ]
        # repeated weekly until resolved
        await advance_to(env, at(due + timedelta(days=15), 0, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineEscalated")) == 4)
        levels = [e["escalation_level"] for e in outbox.of(wid, "DeadlineEscalated")]
        assert levels == [3, 3, 4, 4]
        st = await status(handle)
        assert clock_of(st, "la-decision").status == "overdue"
        await handle.terminate("test over")


async def test_referral_to_la_starts_a_new_la_clock(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        referred = start + timedelta(days=9)
        await advance_to(env, at(referred, 11))
        done = await handle.execute_update(
            IdpJourney.refer_to_la,
            ReferToLa(actor="u-1", referred_on=referred, authority=AUTHORITY),
        )
        assert done.state == CaseState.DECISION_PENDING
        st = await status(handle)
        assert st.deciding_body == DecidingBody.LOCAL_AUTHORITY
        assert clock_of(st, "school-decision").met_on == referred
        assert clock_of(st, "la-decision").due == expected("la-decision", referred).due()
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.refer_to_la,
                ReferToLa(actor="u-1", referred_on=referred, authority=AUTHORITY),
            )
        assert refusal(refused.value) == {
            "code": "no-school-clock",
            "params": {"rule": "school-decision"},
        }
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 2)
        referred_event = outbox.of(wid, "ReferredToLa")[0]
        assert referred_event["referred_on"] == referred.isoformat()
        started = [e["rule"] for e in outbox.of(wid, "ClockStarted")]
        assert started == ["school-decision", "la-decision"]
        await handle.terminate("test over")


async def test_pause_moves_the_breach_exactly(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        old_due = expected("la-decision", start).due()
        assert old_due is not None
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.record_exception,
                RecordException.model_validate(
                    {
                        "actor": "u-1",
                        "exception_id": "x-0",
                        "action": "pause",
                        "rule": "school-decision",
                        "reason": "learner-absent",
                        "from": start,
                    }
                ),
            )
        assert refusal(refused.value) == {
            "code": "clock-not-running",
            "params": {"rule": "school-decision"},
        }
        pause_from, pause_to = start + timedelta(days=20), start + timedelta(days=29)
        await advance_to(env, at(start + timedelta(days=19), 12))
        cmd = RecordException.model_validate({"actor": "u-1", "exception_id": "x-1",
            "action": "pause", "rule": "la-decision", "reason": "family-unavailable",
            "from": pause_from, "until": pause_to})  # fmt: skip
        await handle.execute_update(IdpJourney.record_exception, cmd)
        clock = expected("la-decision", start)
        from llwybr_clock import Pause, ReasonCode

        paused = clock.with_exception(
            Pause(pause_from, pause_to, ReasonCode.FAMILY_UNAVAILABLE, "u-1", at(start))
        )
        new_due = paused.due()
        assert new_due is not None and new_due > old_due
        st = await status(handle)
        assert clock_of(st, "la-decision").due == new_due
        await eventually(lambda: len(outbox.of(wid, "ClockChanged")) == 1)
        changed = outbox.of(wid, "ClockChanged")
        assert [(c["change"], c["previous_due"], c["due"]) for c in changed] == [
            ("paused", old_due.isoformat(), new_due.isoformat())
        ]
        await advance_to(env, at(old_due + timedelta(days=1), 0, 5))
        assert outbox.of(wid, "DeadlineBreached") == []
        await advance_to(env, at(new_due, 23, 59))
        assert outbox.of(wid, "DeadlineBreached") == []
        await advance_to(env, at(new_due + timedelta(days=1), 0, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineBreached")) == 2)
        assert {b["due"] for b in outbox.of(wid, "DeadlineBreached")} == {new_due.isoformat()}
        await handle.terminate("test over")
