"""Replay the saved histories in tests/fixtures/histories/ with today's workflow code, so a
deploy can never break a running case (every change of behaviour goes behind workflow.patched).

Record them again with `LLWYBR_RECORD_HISTORIES=1 pytest workflows/tests/test_journey_replay.py
--temporal-env time-skipping` (only when adding a history: old ones must keep replaying)."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from journey_kit import (
    AUTHORITY,
    Outbox,
    advance_to,
    at,
    case_input,
    eventually,
    expected,
    journey_worker,
    new_case,
    next_run,
    start_case,
    today,
)
from temporalio.client import WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from llwybr_contracts.journey import (
    SIGNAL_CALENDAR_CHANGED,
    CalendarChangedFact,
    DisagreementRaisedFact,
    HealthInputReceivedFact,
    IdpIssuedFact,
    IdpReviewedFact,
    RecordConsent,
    RecordDecision,
    RecordException,
    RequestHealthInput,
)
from llwybr_contracts.states import DecidingBody
from llwybr_contracts.temporal import TASK_QUEUE, health_workflow_id, journey_workflow_id
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service

HISTORIES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "histories"


def _saved() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", _saved(), ids=lambda p: p.stem)
async def test_saved_history_replays(path: Path) -> None:
    saved = json.loads(path.read_bytes())  # noqa: ASYNC240 (a small fixture file)
    replayer = Replayer(workflows=[IdpJourney, HealthInput], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(saved["workflow_id"], saved["history"]),
        raise_on_replay_failure=True,
    )
    assert result.replay_failure is None


@pytest.mark.recording  # LLWYBR_RECORD_HISTORIES=1 to save histories again
async def test_record_representative_histories(skipping: WorkflowEnvironment) -> None:
    """A school case: health request answered, a pause, ALN, IDP issued, first review
    (continue-as-new); saves both journey runs and the HealthInput child."""
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case, rid = new_case(), new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        await handle.execute_update(
            IdpJourney.request_health_input,
            RequestHealthInput(actor="u-1", request_id=rid, sent_on=start),
        )
        await advance_to(env, at(start + timedelta(days=3), 10))
        await handle.execute_update(
            IdpJourney.record_exception,
            RecordException.model_validate(
                {
                    "actor": "u-1",
                    "exception_id": "x-1",
                    "action": "pause",
                    "rule": "school-decision",
                    "reason": "learner-absent",
                    "from": start + timedelta(days=4),
                    "until": start + timedelta(days=8),
                }
            ),
        )
        answered = start + timedelta(days=20)
        await advance_to(env, at(answered, 10))
        child = env.client.get_workflow_handle_for(HealthInput.run, health_workflow_id(rid))
        await child.signal(
            HealthInput.received,
            HealthInputReceivedFact(
                event_id="h-1", request_id=rid, outcome="no-service", answered_on=answered
            ),
        )
        await child.result()
        decided = start + timedelta(days=30)
        await advance_to(env, at(decided, 10))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="aln", decided_on=decided),
        )
        issued = start + timedelta(days=40)
        await advance_to(env, at(issued, 10))
        await handle.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id="i-1", idp_id="p", on=issued)
        )
        held = issued + timedelta(days=340)
        await advance_to(env, at(held, 10))
        await handle.signal(
            IdpJourney.idp_reviewed, IdpReviewedFact(event_id="r-1", idp_id="p", on=held)
        )
        latest = env.client.get_workflow_handle(wid)
        await next_run(latest, handle.result_run_id)
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 3)
        await advance_to(env, at(held + timedelta(days=40), 10))
        await latest.terminate("recorded")
        runs = {
            "journey-school-aln-health-pause-review": (wid, handle.result_run_id),
            "journey-after-first-review": (wid, None),
            "health-input-answered": (health_workflow_id(rid), None),
        }
        HISTORIES.mkdir(parents=True, exist_ok=True)
        for name, (workflow_id, run_id) in runs.items():
            history = await env.client.get_workflow_handle(
                workflow_id, run_id=run_id
            ).fetch_history()
            (HISTORIES / f"{name}.json").write_text(
                json.dumps(
                    {"workflow_id": workflow_id, "history": json.loads(history.to_json())}, indent=1
                )
            )


@pytest.mark.recording  # LLWYBR_RECORD_HISTORIES=1 to save histories again
async def test_record_no_aln_appeal_history(skipping: WorkflowEnvironment) -> None:
    """An LA case that breaches, is decided no-ALN, has its appeal window extended by
    disagreement resolution and closes when the window runs out."""
    env = skipping
    async with journey_worker(env):
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        notice = start + timedelta(days=95)  # after the 12 weeks: breached, escalated once
        await advance_to(env, at(notice, 10))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=notice, notice_given_on=notice
            ),
        )
        await advance_to(env, at(notice + timedelta(days=10), 10))
        await handle.signal(
            IdpJourney.disagreement_raised,
            DisagreementRaisedFact(event_id="d-1", raised_on=notice + timedelta(days=10)),
        )
        await advance_to(env, at(notice + timedelta(days=130)))
        await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / "journey-la-no-aln-appeal-batched-events.json").write_text(
            json.dumps({"workflow_id": wid, "history": json.loads(history.to_json())}, indent=1)
        )


async def _held_then_breached(
    env: WorkflowEnvironment, outbox: Outbox
) -> tuple[WorkflowHandle[IdpJourney, None], str, date]:
    """An LA journey started with a calendar fact held while its calendars load (a start
    signal), then left past its due date until both breach alerts are out: (handle, workflow
    id, the due date)."""
    start = await today(env)
    case = new_case()
    wid = journey_workflow_id(case)
    handle = await env.client.start_workflow(
        IdpJourney.run,
        case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY),
        id=wid,
        task_queue=TASK_QUEUE,
        start_signal=SIGNAL_CALENDAR_CHANGED,
        start_signal_args=[
            CalendarChangedFact(event_id="cal-0", authority=AUTHORITY, calendar_version="v0")
        ],
    )
    due = expected("la-decision", start).due()
    assert due is not None
    await advance_to(env, at(due + timedelta(days=1), 0, 1))
    await eventually(lambda: len(outbox.of(wid, "DeadlineBreached")) == 2)
    return handle, wid, due


async def _aln_then_issued(
    env: WorkflowEnvironment,
    outbox: Outbox,
    handle: WorkflowHandle[IdpJourney, None],
    decided: date,
) -> date:
    """ALN decided on `decided`, the LA's IDP issued ten days later and its appeal window
    opened; the day it was issued."""
    await handle.execute_update(
        IdpJourney.record_decision,
        RecordDecision(actor="u-1", outcome="aln", decided_on=decided),
    )
    issued = decided + timedelta(days=10)
    await advance_to(env, at(issued, 10))
    await handle.signal(IdpJourney.idp_issued, IdpIssuedFact(event_id="i-1", idp_id="p", on=issued))
    await eventually(lambda: len(outbox.of(handle.id, "AppealWindowOpened")) == 1)
    return issued


@pytest.mark.recording  # LLWYBR_RECORD_HISTORIES=1 -k rules_shell (writes only its own file)
async def test_record_rules_shell_history(skipping: WorkflowEnvironment) -> None:
    """The journey as a shell around pure rules: a fact held while the calendars load, a
    breach alerting `head-of-service`, a refused update (not in the history), ALN, an LA's IDP
    issued (appeal window) and its first review (continue-as-new carrying `JourneyState`)."""
    env = skipping
    async with journey_worker(env) as outbox:
        handle, wid, due = await _held_then_breached(env, outbox)
        breached = [b["alert_role"] for b in outbox.of(wid, "DeadlineBreached")]
        assert breached == ["la-manager", "head-of-service"]
        decided = due + timedelta(days=2)
        await advance_to(env, at(decided, 10))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                IdpJourney.record_consent, RecordConsent(actor="u-1", answer="given", on=decided)
            )
        issued = await _aln_then_issued(env, outbox, handle, decided)
        held = issued + timedelta(days=300)
        await advance_to(env, at(held, 10))
        await handle.signal(
            IdpJourney.idp_reviewed, IdpReviewedFact(event_id="r-1", idp_id="p", on=held)
        )
        await next_run(env.client.get_workflow_handle(wid), handle.result_run_id)
        first = env.client.get_workflow_handle(wid, run_id=handle.result_run_id)
        history = await first.fetch_history()
        (HISTORIES / "journey-rules-shell-breach-review.json").write_text(
            json.dumps({"workflow_id": wid, "history": json.loads(history.to_json())}, indent=1)
        )


@pytest.mark.recording  # LLWYBR_RECORD_HISTORIES=1 -k dates_within_case (writes only its own file)
async def test_record_dates_within_case_history(skipping: WorkflowEnvironment) -> None:
    """Patch `dates-within-case`: a decision dated before the referral refused (by the
    validator: not in the history), one on the referral's day accepted through the patched
    handler; then the case is closed when the learner's duties end at 25 (`duties_end`)."""
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        journey = case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        ends = start + timedelta(days=30)
        handle = await start_case(env, journey.model_copy(update={"duties_end": ends}))
        await eventually(lambda: "clock-started" in outbox.names(wid))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                IdpJourney.record_decision,
                RecordDecision(
                    actor="u-1",
                    outcome="aln",
                    decided_on=start - timedelta(days=400),
                ),
            )
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="aln", decided_on=start),
        )
        await advance_to(env, at(ends + timedelta(days=1), 0, 1))
        await handle.result()
        assert [e["reason"] for e in outbox.of(wid, "CaseClosed")] == ["duties-ended-age-25"]
        history = await handle.fetch_history()
        patches = [
            payload.data
            for e in history.events
            if e.HasField("marker_recorded_event_attributes")
            for payload in e.marker_recorded_event_attributes.details["patch-data"].payloads
        ]
        assert any(b"dates-within-case" in p for p in patches), "the patched handler ran"
        (HISTORIES / "journey-dates-within-case-duties-end.json").write_text(
            json.dumps({"workflow_id": wid, "history": json.loads(history.to_json())}, indent=1)
        )


def _settle_shape(history: WorkflowHistory) -> tuple[int, int]:
    """Workflow tasks completed and activity tasks scheduled before the first timer."""
    tasks = activities = 0
    for e in history.events:
        if e.HasField("timer_started_event_attributes"):
            break
        tasks += e.HasField("workflow_task_completed_event_attributes")
        activities += e.HasField("activity_task_scheduled_event_attributes")
    return tasks, activities


async def test_new_journey_settles_in_one_task(skipping: WorkflowEnvironment) -> None:
    """Patch `one-task-settle`: the calendars load and JourneyStarted leaves with the first
    clock's events in the first workflow task, with no activity task through the server, and
    a breach later still publishes (locally)."""
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        await eventually(lambda: "clock-started" in outbox.names(wid))
        assert outbox.names(wid)[:2] == ["journey-started", "clock-started"]
        assert [e.seq for e in outbox.events if e.workflow_id == wid] == list(
            range(1, len(outbox.of(wid)) + 1)
        )
        due = expected("la-decision", start).due()
        assert due is not None
        await advance_to(env, at(due + timedelta(days=1), 0, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineBreached")) == 2)
        history = await handle.fetch_history()
        assert _settle_shape(history) == (1, 0)
        await handle.terminate("test over")


@pytest.mark.recording  # LLWYBR_RECORD_HISTORIES=1 -k one_task_settle (writes only its own file)
async def test_record_one_task_settle_history(skipping: WorkflowEnvironment) -> None:
    """Patch `one-task-settle`: a fact held while the calendars load (start signal), settled
    in one task, breached, decided ALN and the IDP issued, all published by local activities."""
    env = skipping
    async with journey_worker(env) as outbox:
        handle, wid, due = await _held_then_breached(env, outbox)
        decided = due + timedelta(days=2)
        await advance_to(env, at(decided, 10))
        await _aln_then_issued(env, outbox, handle, decided)
        await handle.terminate("recorded")
        history = await handle.fetch_history()
        assert _settle_shape(history)[1] == 0
        (HISTORIES / "journey-one-task-settle.json").write_text(
            json.dumps({"workflow_id": wid, "history": json.loads(history.to_json())}, indent=1)
        )
