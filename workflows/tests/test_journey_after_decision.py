"""After the decision: no-ALN with the appeal window and its disagreement-resolution extension,
a school no-ALN taken to LA reconsideration, an IDP with two annual reviews across
continue-as-new and a transfer, a cease with its reconsideration window (time-skipping)."""

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
    next_run,
    refusal,
    start_case,
    status,
    today,
)
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from llwybr_contracts.journey import (
    AdvocacyHandoffAcceptedFact,
    AppealDecidedFact,
    AppealLodgedFact,
    DisagreementRaisedFact,
    IdpCeasedFact,
    IdpIssuedFact,
    IdpReviewedFact,
    IdpTransferredFact,
    RecordDecision,
    RequestReconsideration,
)
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.journey.workflows import IdpJourney

pytestmark = pytest.mark.service


async def test_la_no_aln_appeal_window_extended_by_disagreement_resolution(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        decided, notice = start + timedelta(days=30), start + timedelta(days=31)
        await advance_to(env, at(notice, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=decided, notice_given_on=notice
            ),
        )
        window = expected("tribunal-appeal", notice)
        extended = expected("tribunal-appeal", notice, disagreement_resolution=True)
        await eventually(lambda: len(outbox.of(wid, "AppealWindowOpened")) == 1)
        opened = outbox.of(wid, "AppealWindowOpened")[0]
        assert opened["due"] == window.due().isoformat()  # type: ignore[union-attr]
        st = await status(handle)
        assert st.state == CaseState.NO_ALN
        assert clock_of(st, "la-decision").met_on == notice
        raised = DisagreementRaisedFact(event_id="d-1", raised_on=notice + timedelta(days=20))
        await advance_to(env, at(notice + timedelta(days=20), 12))
        await handle.signal(IdpJourney.disagreement_raised, raised)
        await handle.signal(IdpJourney.disagreement_raised, raised)  # redelivered: ignored
        await eventually(lambda: len(outbox.of(wid, "ClockChanged")) == 1)
        change = outbox.of(wid, "ClockChanged")[0]
        assert (change["change"], change["reason"]) == ("recomputed", "disagreement-resolution")
        assert change["previous_due"] == window.due().isoformat()  # type: ignore[union-attr]
        assert change["due"] == extended.due().isoformat()  # type: ignore[union-attr]
        # the 8-week date passes: the window is still open (16 weeks)
        await advance_to(env, at(window.due() + timedelta(days=2)))  # type: ignore[operator]
        assert (await status(handle)).state == CaseState.NO_ALN
        await advance_to(env, at(extended.due() + timedelta(days=1), 0, 1))  # type: ignore[operator]
        await handle.result()
        closed = outbox.of(wid, "CaseClosed")
        assert [c["reason"] for c in closed] == ["appeal-window-expired"]


async def test_appeal_decided_with_an_order_to_prepare_an_idp_reopens_the_idp_work(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        notice = start + timedelta(days=20)
        await advance_to(env, at(notice, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=notice, notice_given_on=notice
            ),
        )
        lodged = notice + timedelta(days=30)
        await advance_to(env, at(lodged, 12))
        await handle.signal(
            IdpJourney.appeal_lodged, AppealLodgedFact(event_id="a-1", lodged_on=lodged)
        )
        decided = lodged + timedelta(days=90)
        await advance_to(env, at(decided, 12))
        order = AppealDecidedFact(event_id="a-2", decided_on=decided, outcome="aln")
        await handle.signal(IdpJourney.appeal_decided, order)
        await eventually(
            lambda: any(e["state"] == "idp-in-preparation" for e in outbox.of(wid, "StateChanged"))
        )
        assert (await status(handle)).state == CaseState.IDP_IN_PREPARATION
        issued = decided + timedelta(days=28)
        await advance_to(env, at(issued, 12))
        await handle.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id="i-1", idp_id="p", on=issued)
        )
        await eventually(lambda: len(outbox.of(wid, "AppealWindowOpened")) == 2)
        st = await status(handle)
        assert st.state == CaseState.IDP_ACTIVE
        assert clock_of(st, "idp-review").start == issued


async def test_an_accepted_advocate_is_alerted_ten_days_before_the_window_shuts(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        notice = start + timedelta(days=20)
        await advance_to(env, at(notice, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=notice, notice_given_on=notice
            ),
        )
        accepted = AdvocacyHandoffAcceptedFact(
            event_id="h-1", provider="advocacy:snap-cymru", accepted_on=notice + timedelta(days=3)
        )
        await advance_to(env, at(notice + timedelta(days=3), 12))
        await handle.signal(IdpJourney.advocacy_handoff_accepted, accepted)
        due = expected("tribunal-appeal", notice).due()
        assert due is not None

        def advocate_alerts() -> list[dict[str, object]]:
            return [a for a in outbox.of(wid, "DeadlineAtRisk") if a["alert_role"] == "advocate"]

        await advance_to(env, at(due - timedelta(days=10), 8, 59))
        assert advocate_alerts() == []
        await advance_to(env, at(due - timedelta(days=10), 9, 1))
        await eventually(lambda: len(advocate_alerts()) == 1)
        [alert] = advocate_alerts()
        assert (alert["rule"], alert["due"]) == ("tribunal-appeal", due.isoformat())
        assert alert["alert_scope"] == "advocacy:snap-cymru"
        await advance_to(env, at(due - timedelta(days=2), 12))
        assert len(advocate_alerts()) == 1  # said once


async def test_school_no_aln_goes_to_la_reconsideration(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        notice = start + timedelta(days=10)
        await advance_to(env, at(notice, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-1", outcome="no-aln", decided_on=notice, notice_given_on=notice
            ),
        )
        st = await status(handle)
        assert st.state == CaseState.NO_ALN
        assert [c.rule for c in st.clocks] == ["school-decision"]  # a school's decision: no appeal
        asked = notice + timedelta(days=40)
        await advance_to(env, at(asked, 12))
        await handle.execute_update(
            IdpJourney.request_reconsideration,
            RequestReconsideration(
                actor="u-1", request_id="r-1", kind="decision", received_on=asked
            ),
        )
        assert (
            clock_of(await status(handle), "la-reconsider-decision").due
            == expected("la-reconsider-decision", asked).due()
        )
        answer = asked + timedelta(days=30)
        await advance_to(env, at(answer, 12))
        await handle.execute_update(
            IdpJourney.record_decision,
            RecordDecision(
                actor="u-2", outcome="no-aln", decided_on=answer, notice_given_on=answer
            ),
        )
        await eventually(lambda: len(outbox.of(wid, "AppealWindowOpened")) == 1)
        st = await status(handle)
        assert st.deciding_body == DecidingBody.LOCAL_AUTHORITY
        assert clock_of(st, "la-reconsider-decision").met_on == answer
        assert clock_of(st, "tribunal-appeal").due == expected("tribunal-appeal", answer).due()
        await handle.terminate("test over")


async def test_idp_two_reviews_across_continue_as_new_and_a_transfer(
    skipping: WorkflowEnvironment,
) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        first = await start_case(env, case_input(case, start))
        await first.execute_update(
            IdpJourney.record_decision,
            RecordDecision(actor="u-1", outcome="aln", decided_on=start),
        )
        issued = start + timedelta(days=5)
        await advance_to(env, at(issued, 12))
        await first.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id="i-1", idp_id="p-1", on=issued)
        )
        review1 = expected("idp-review", issued)
        await advance_to(env, at(review1.warnings()[0], 9, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) == 1)
        risk = outbox.of(wid, "DeadlineAtRisk")[0]
        assert (risk["rule"], risk["alert_role"]) == ("idp-review", "school-alnco")

        held1 = review1.due() - timedelta(days=10)  # type: ignore[operator]
        await advance_to(env, at(held1, 12))
        await first.signal(
            IdpJourney.idp_reviewed,
            IdpReviewedFact(event_id="r-1", idp_id="p-1", on=held1, revised=True),
        )
        latest = env.client.get_workflow_handle_for(IdpJourney.run, wid)
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 3)
        run2 = await next_run(latest, first.result_run_id)
        assert run2 != first.result_run_id
        st = await status(latest)
        assert st.state == CaseState.IDP_ACTIVE
        review2 = expected("idp-review", held1)
        assert clock_of(st, "idp-review").due == review2.due()
        # the seen-set crossed continue-as-new: a redelivered fact is still ignored
        await latest.signal(
            IdpJourney.idp_reviewed,
            IdpReviewedFact(event_id="r-1", idp_id="p-1", on=held1, revised=True),
        )
        # the plan moves to another authority (Act s.35): its officer is alerted from now on
        await latest.signal(
            IdpJourney.idp_transferred,
            IdpTransferredFact(event_id="t-1", idp_id="p-1", on=held1, to_body="la:W06000011"),
        )
        await advance_to(env, at(review2.warnings()[0], 9, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) == 2)
        risk = outbox.of(wid, "DeadlineAtRisk")[1]
        assert (risk["alert_role"], risk["alert_scope"]) == ("la-officer", "la:W06000011")
        assert (await latest.describe()).run_id == run2  # the duplicate did not start a cycle

        held2 = review2.due() - timedelta(days=3)  # type: ignore[operator]
        await advance_to(env, at(held2, 12))
        await latest.signal(
            IdpJourney.idp_reviewed, IdpReviewedFact(event_id="r-2", idp_id="p-1", on=held2)
        )
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 4)
        await next_run(latest, run2)
        st = await status(latest)
        assert clock_of(st, "idp-review").due == expected("idp-review", held2).due()
        assert [e["met_on"] for e in outbox.of(wid, "ClockMet")] == [
            issued.isoformat(), held1.isoformat(), held2.isoformat()]  # fmt: skip
        seqs = [e.seq for e in outbox.events if e.workflow_id == wid]
        assert seqs == list(range(1, len(seqs) + 1))  # event ids never repeat across runs
        assert not [n for n in outbox.names(wid) if n == "deadline-breached"]
        await latest.terminate("test over")


async def test_cease_with_reconsideration_window(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        handle = await start_case(env, case_input(case, start))
        await handle.execute_update(
            IdpJourney.record_decision, RecordDecision(actor="u-1", outcome="aln", decided_on=start)
        )
        await handle.signal(
            IdpJourney.idp_issued, IdpIssuedFact(event_id="i-1", idp_id="p-1", on=start)
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IdpJourney.request_reconsideration,
                RequestReconsideration(
                    actor="u-1", request_id="c-0", kind="cease", received_on=start
                ),
            )
        assert refusal(refused.value) == {
            "code": "clock-not-running",
            "params": {"rule": "cease-reconsider-request"},
        }
        ceased = start + timedelta(days=100)
        await advance_to(env, at(ceased, 12))
        await handle.signal(
            IdpJourney.idp_ceased,
            IdpCeasedFact(event_id="c-1", idp_id="p-1", on=ceased, reason="no-longer-aln"),
        )
        window = expected("cease-reconsider-request", ceased)
        await eventually(lambda: len(outbox.of(wid, "ClockStarted")) == 3)
        st = await status(handle)
        assert st.state == CaseState.CEASING
        assert clock_of(st, "cease-reconsider-request").due == window.due()
        await advance_to(env, at(window.warnings()[0], 9, 1))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) == 1)
        await advance_to(env, at(window.due() + timedelta(days=1), 0, 1))  # type: ignore[operator]
        await handle.result()
        assert [c["reason"] for c in outbox.of(wid, "CaseClosed")] == ["ceased"]
        assert outbox.of(wid, "DeadlineBreached") == []  # the family's window: nobody breached it
