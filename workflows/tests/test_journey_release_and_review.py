"""Issue 15 on the time-skipping server: a detained learner's release starts the home
authority's `detention-release` clock (Act ss.39-56, Regs reg 18); a Tribunal decision opens the
parties' 28-day `tribunal-review-application` window, met by a party's request or, passing
unasked, closing the case (ETW Regs reg 53); an FEI's case runs its assumed `fei-decision`."""

import asyncio
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

from llwybr_contracts.journey import (
    AppealDecidedFact,
    AppealLodgedFact,
    RecordDecision,
    RecordRelease,
    RequestTribunalReview,
)
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def test_a_release_starts_detention_release_and_the_decision_after_it_meets_it(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        journey = case_input(
            case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY, school=None
        ).model_copy(update={"detained": True})
        handle = await start_case(env, journey)
        released = start + timedelta(days=9)
        await advance_to(env, at(released, 12))
        accepted = await handle.execute_update(
            IdpJourney.record_release, RecordRelease(actor="u-1", released_on=released)
        )
        assert accepted.detail.startswith("detention-release started")
        want = expected("detention-release", released).due()
        await eventually(
            lambda: any(e["rule"] == "detention-release" for e in outbox.of(wid, "ClockStarted"))
        )
        started = [e for e in outbox.of(wid, "ClockStarted") if e["rule"] == "detention-release"]
        assert started[0]["due"] == want.isoformat()  # type: ignore[union-attr]
        # a second release is refused at once by the validator
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await handle.execute_update(
                IdpJourney.record_release, RecordRelease(actor="u-1", released_on=released)
            )
        assert refusal(caught.value)["code"] == "not-detained"
        decided = released + timedelta(days=40)
        await advance_to(env, at(decided, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=decided, notice_given_on=decided
            ),
        )
        st = await status(handle)
        assert clock_of(st, "detention-release").met_on == decided
        assert st.state == CaseState.NO_ALN
        met = [e for e in outbox.of(wid, "ClockMet") if e["rule"] == "detention-release"]
        assert [e["met_on"] for e in met] == [decided.isoformat()]


async def _no_aln_appealed_and_decided(env: WorkflowEnvironment, case: str) -> tuple:  # type: ignore[type-arg]
    start = await today(env)
    handle = await start_case(
        env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
    )
    notice = start + timedelta(days=10)
    await advance_to(env, at(notice, 12))
    await handle.execute_update(
        IdpJourney.record_decision,
        RecordDecision(actor="u-1", outcome="no-aln", decided_on=notice, notice_given_on=notice),
    )
    lodged = notice + timedelta(days=20)
    await advance_to(env, at(lodged, 12))
    await handle.signal(
        IdpJourney.appeal_lodged, AppealLodgedFact(event_id="a-1", lodged_on=lodged)
    )
    decided = lodged + timedelta(days=60)
    await advance_to(env, at(decided, 12))
    await handle.signal(
        IdpJourney.appeal_decided,
        AppealDecidedFact(event_id="a-2", decided_on=decided, outcome="dismissed"),
    )
    return handle, decided


async def test_a_tribunal_decision_left_unreviewed_closes_the_case_when_the_window_passes(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case = new_case()
        wid = journey_workflow_id(case)
        handle, decided = await _no_aln_appealed_and_decided(env, case)
        window = expected("tribunal-review-application", decided).due()
        assert window == decided + timedelta(days=28)  # no roll-over
        await eventually(
            lambda: any(
                e["rule"] == "tribunal-review-application" for e in outbox.of(wid, "ClockStarted")
            )
        )
        # a week before the window shuts the case is still open
        await advance_to(env, at(window - timedelta(days=7), 12))
        assert (await status(handle)).state == CaseState.NO_ALN
        await advance_to(env, at(window + timedelta(days=1), 0, 1))
        await handle.result()
        closed = outbox.of(wid, "CaseClosed")
        assert [c["reason"] for c in closed] == ["appeal-decided"]


async def test_a_partys_review_request_meets_the_window_and_the_case_waits(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        case = new_case()
        wid = journey_workflow_id(case)
        handle, decided = await _no_aln_appealed_and_decided(env, case)
        before = decided - timedelta(days=1)
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await handle.execute_update(
                IdpJourney.request_tribunal_review,
                RequestTribunalReview(actor="u-1", requested_on=before, requested_by="family"),
            )
        assert refusal(caught.value)["code"] == "date-before-decision"
        asked = decided + timedelta(days=20)
        await advance_to(env, at(asked, 12))
        await handle.execute_update(
            IdpJourney.request_tribunal_review,
            RequestTribunalReview(actor="u-1", requested_on=asked, requested_by="local-authority"),
        )
        assert clock_of(await status(handle), "tribunal-review-application").met_on == asked
        met = [e for e in outbox.of(wid, "ClockMet") if e["rule"] == "tribunal-review-application"]
        assert [e["met_on"] for e in met] == [asked.isoformat()]
        # the window's date passes: nothing closes while the Tribunal reviews
        await advance_to(env, at(decided + timedelta(days=40), 12))
        assert (await status(handle)).state == CaseState.NO_ALN
        assert outbox.of(wid, "CaseClosed") == []


async def test_an_fei_case_runs_its_assumed_clock_on_the_time_skipping_server(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env):
        start = await today(env)
        case = new_case()
        journey = case_input(
            case, start, rule="fei-decision", body=DecidingBody.FEI, school=None
        ).model_copy(update={"institution": "10099011"})
        handle = await start_case(env, journey)
        st = await status(handle)
        for _ in range(100):  # the calendars load in an activity first
            if st.clocks:
                break
            await asyncio.sleep(0.05)
            st = await status(handle)
        view = clock_of(st, "fei-decision")
        assert view.assumed and view.start == start
        # 35 term-time days on the calendar the journey loaded (the authority's, no FEI file)
        assert view.due == expected("school-decision", start).due()
        assert st.deciding_body == DecidingBody.FEI
