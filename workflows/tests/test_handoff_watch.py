"""`HandoffWatch`: a handoff the provider has not answered by its fifth working day alerts the
provider (time-skipping); one answered in time raises nothing."""

from datetime import date, datetime, timedelta

import pytest
from journey_kit import advance_to, at, eventually, journey_worker, new_case, today
from temporalio.testing import WorkflowEnvironment

from llwybr_clock.wales import WALES
from llwybr_common.journey import answer_handoff_watch, start_handoff_watch
from llwybr_contracts.journey import HandoffWatchInput
from llwybr_contracts.temporal import handoff_watch_id
from llwybr_workflows.handoff_watch import breached_from

SNAP = "advocacy:snap-cymru"


def watch(accept_by: date) -> HandoffWatchInput:
    return HandoffWatchInput(
        handoff_id=new_case(), case_id=new_case(), provider=SNAP, accept_by=accept_by
    )


@pytest.mark.unit
def test_late_from_midnight_in_wales_after_the_accept_by_day() -> None:
    # Friday 27 March 2026 is due all day; clocks go forward on Sunday 29th
    assert breached_from(watch(date(2026, 3, 27))) == datetime(2026, 3, 28, tzinfo=WALES)
    assert breached_from(watch(date(2026, 7, 3))).utcoffset() == timedelta(hours=1)


@pytest.mark.service
async def test_an_unanswered_handoff_alerts_the_provider(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        accept_by = await today(env) + timedelta(days=7)
        w = watch(accept_by)
        wid = handoff_watch_id(w.handoff_id)
        assert await start_handoff_watch(env.client, w)
        assert not await start_handoff_watch(env.client, w)  # a retry starts nothing
        await advance_to(env, at(accept_by, 23, 59))
        assert outbox.of(wid) == []  # due all day on accept_by
        await advance_to(env, at(accept_by + timedelta(days=1), 0, 1))
        await eventually(lambda: len(outbox.of(wid)) == 1)
        assert await env.client.get_workflow_handle(wid).result() == "breached"
        [alert] = outbox.of(wid)
        assert alert["type"] == "deadline-breached"
        assert (alert["alert_role"], alert["alert_scope"]) == ("advocate", SNAP)
        assert (alert["case_id"], alert["due"]) == (w.case_id, accept_by.isoformat())
        assert alert["request_id"] == w.handoff_id
        assert not await answer_handoff_watch(env.client, w.handoff_id)  # too late: no-op


@pytest.mark.service
async def test_a_handoff_answered_in_time_raises_nothing(skipping: WorkflowEnvironment) -> None:
    env = skipping
    async with journey_worker(env) as outbox:
        accept_by = await today(env) + timedelta(days=7)
        w = watch(accept_by)
        wid = handoff_watch_id(w.handoff_id)
        await start_handoff_watch(env.client, w)
        await advance_to(env, at(accept_by, 12))
        assert await answer_handoff_watch(env.client, w.handoff_id)
        assert await env.client.get_workflow_handle(wid).result() == "answered"
        await advance_to(env, at(accept_by + timedelta(days=3), 12))
        assert outbox.of(wid) == []
        assert not await answer_handoff_watch(env.client, new_case())  # none started
