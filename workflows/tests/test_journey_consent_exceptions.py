"""A young person's consent (Act s.11(3)), exception resume and lift, idempotent exception
ids, a deduplicated calendar change and a planned pause (time-skipping server)."""

from datetime import timedelta

import pytest
from journey_kit import (
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

from llwybr_clock import Lift, Pause, ReasonCode, Resume
from llwybr_contracts.journey import (
    CalendarChangedFact,
    RecordConsent,
    RecordDecision,
    RecordException,
)
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


def exception(**fields: object) -> RecordException:
    return RecordException.model_validate({"actor": "u-1", "reason": "learner-absent", **fields})


async def test_young_person_consent_given_starts_the_clock(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        received = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        journey = case_input(
            case, received, body=DecidingBody.LOCAL_AUTHORITY, state=CaseState.CONSENT_PENDING
        )
        handle = await start_case(env, journey)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.record_decision,
                RecordDecision(actor="u-1", outcome="aln", decided_on=received),
            )
        assert refusal(refused.value) == {"code": "consent-not-given", "params": {}}
        assert (await status(handle)).clocks == []
        given = received + timedelta(days=6)
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await handle.execute_update(
                IdpJourney.record_consent, RecordConsent(actor="u-1", answer="given", on=given)
            )
        assert refusal(early.value) == {
            "code": "date-in-future",
            "params": {"field": "on", "day": given.isoformat(), "today": received.isoformat()},
        }
        await advance_to(env, at(given, 10))
        done = await handle.execute_update(
            IdpJourney.record_consent, RecordConsent(actor="u-1", answer="given", on=given)
        )
        assert done.state == CaseState.DECISION_PENDING
        # a young person's LA clock starts on consent (docs/rules.md)
        assert (
            clock_of(await status(handle), "la-decision").due
            == expected("la-decision", given).due()
        )
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await handle.execute_update(
                IdpJourney.record_consent, RecordConsent(actor="u-1", answer="given", on=given)
            )
        assert refusal(again.value) == {
            "code": "consent-not-pending",
            "params": {"state": "decision-pending"},
        }
        await eventually(lambda: len(outbox.of(wid, "StateChanged")) == 1)
        await handle.terminate("test over")


async def test_young_person_refusal_closes_the_case(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        received = await today(env)
        case = new_case()
        handle = await start_case(
            env,
            case_input(
                case, received, body=DecidingBody.LOCAL_AUTHORITY, state=CaseState.CONSENT_PENDING
            ),
        )
        await handle.execute_update(
            IdpJourney.record_consent, RecordConsent(actor="u-1", answer="refused", on=received)
        )
        await handle.result()
        closed = outbox.of(journey_workflow_id(case), "CaseClosed")
        assert [(c["reason"], c["closed_on"]) for c in closed] == [
            ("consent-refused", received.isoformat())
        ]


async def test_open_pause_resume_and_lift(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        clock = expected("la-decision", start)
        paused_on, resumed_on = start + timedelta(days=10), start + timedelta(days=17)
        await advance_to(env, at(paused_on, 10))
        await handle.execute_update(
            IdpJourney.record_exception,
            exception(exception_id="p", action="pause", rule="la-decision", **{"from": paused_on}),
        )
        view = clock_of(await status(handle), "la-decision")
        assert (view.status, view.due) == ("paused", None)
        # while paused no timer runs: the old due date passes silently
        await advance_to(env, at(clock.due() + timedelta(days=2)))  # type: ignore[operator]
        assert outbox.of(wid, "DeadlineBreached") == []
        # the resume says when the clock ran again (here back-dated by the officer)
        await handle.execute_update(
            IdpJourney.record_exception,
            exception(
                exception_id="r", action="resume", rule="la-decision", **{"from": resumed_on}
            ),
        )
        recorded = at(paused_on)
        resumed = clock.with_exception(
            Pause(paused_on, None, ReasonCode.LEARNER_ABSENT, "u-1", recorded)
        ).with_exception(Resume(resumed_on, ReasonCode.LEARNER_ABSENT, "u-1", recorded))
        assert clock_of(await status(handle), "la-decision").due == resumed.due()
        # the same exception id again (a retried command): accepted, nothing changes
        again = await handle.execute_update(
            IdpJourney.record_exception,
            exception(
                exception_id="r", action="resume", rule="la-decision", **{"from": resumed_on}
            ),
        )
        assert "already recorded" in again.detail
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.record_exception,
                exception(
                    exception_id="r2", action="resume", rule="la-decision", **{"from": resumed_on}
                ),
            )
        assert refusal(refused.value) == {
            "code": "exception-not-allowed",
            "params": {"rule": "la-decision", "action": "resume", "reason": "ExceptionRecordError"},
        }
        lifted_on = clock.due() + timedelta(days=3)  # type: ignore[operator]
        await handle.execute_update(
            IdpJourney.record_exception,
            exception(
                exception_id="l",
                action="lift",
                rule="la-decision",
                reason="awaiting-information-outside-control",
                **{"from": lifted_on},
            ),
        )
        lifted = resumed.with_exception(Lift(lifted_on, ReasonCode.OTHER, "u-1", recorded))
        assert lifted.due() is None
        await eventually(lambda: len(outbox.of(wid, "ClockChanged")) == 3)
        changes = [(c["change"], c["due"]) for c in outbox.of(wid, "ClockChanged")]
        assert changes == [
            ("paused", None),
            ("resumed", resumed.due().isoformat()),  # type: ignore[union-attr]
            ("lifted", None),
        ]
        await advance_to(env, at(resumed.due() + timedelta(days=30)))  # type: ignore[operator]
        assert outbox.of(wid, "DeadlineBreached") == []  # lifted: no statutory date to breach
        await handle.terminate("test over")


async def test_calendar_change_signal_is_deduplicated(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        due = expected("school-decision", start).due()
        fact = CalendarChangedFact(event_id="cal-1", authority="W06000015", calendar_version="v2")
        await handle.signal(IdpJourney.calendar_changed, fact)
        await handle.signal(IdpJourney.calendar_changed, fact)
        await eventually(lambda: "clock-started" in outbox.names(wid))
        # the calendar store did not change here: the due date stands, no ClockChanged
        await advance_to(env, at(start + timedelta(days=1)))
        assert clock_of(await status(handle), "school-decision").due == due
        assert outbox.of(wid, "ClockChanged") == []
        await handle.terminate("test over")


async def test_planned_open_pause_takes_effect_on_its_from_date(
    skipping: WorkflowEnvironment,
) -> None:
    # docs/rules.md#pauses: before its FROM date an open pause is not there, so the clock
    # shows its due date and its warnings still sound; from FROM on it is paused, due unknown
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
        opens = due - timedelta(days=3)  # after both warnings (14 and 7 days before due)
        await advance_to(env, at(start + timedelta(days=1), 10))
        await handle.execute_update(
            IdpJourney.record_exception,
            exception(exception_id="planned", action="pause", rule="la-decision",
                      **{"from": opens}),
        )  # fmt: skip
        view = clock_of(await status(handle), "la-decision")
        assert (view.status, view.due) == ("running", due)
        assert view.warnings == list(clock.warnings())
        assert outbox.of(wid, "ClockChanged") == []  # announced when it takes effect
        first_warning = clock.warnings()[0]
        await advance_to(env, at(first_warning, 10))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) >= 1)
        await advance_to(env, at(opens, 10))
        view = clock_of(await status(handle), "la-decision")
        assert (view.status, view.due) == ("paused", None)
        await eventually(lambda: len(outbox.of(wid, "ClockChanged")) == 1)
        changed = outbox.of(wid, "ClockChanged")[0]
        assert (changed["change"], changed["due"], changed["previous_due"]) == (
            "paused",
            None,
            due.isoformat(),
        )
        await advance_to(env, at(due + timedelta(days=2)))
        assert outbox.of(wid, "DeadlineDue") == []
        assert outbox.of(wid, "DeadlineBreached") == []
        assert len(outbox.of(wid, "ClockChanged")) == 1  # announced once
        await handle.terminate("test over")
