"""Starting a case's journey, from the referral service (fast path, right after commit) and
from the journey bridge (reliable path, from `CaseOpened`). The workflow id makes the second
start a no-op, even after the journey has finished. Also a handoff's `HandoffWatch`, started and
answered by the advocacy service."""

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from llwybr_contracts.journey import JOURNEY_WORKFLOW, HandoffWatchInput, JourneyInput
from llwybr_contracts.temporal import (
    HANDOFF_WATCH_WORKFLOW,
    SIGNAL_HANDOFF_ANSWERED,
    TASK_QUEUE,
    handoff_watch_id,
    journey_workflow_id,
)


async def start_journey(client: Client, journey: JourneyInput) -> bool:
    """Start the journey; False when it already exists (running or finished)."""
    try:
        await client.start_workflow(
            JOURNEY_WORKFLOW,
            journey,
            id=journey_workflow_id(journey.case_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def start_handoff_watch(client: Client, watch: HandoffWatchInput) -> bool:
    """Start the watch on a new handoff (after its commit); False when it already exists."""
    try:
        await client.start_workflow(
            HANDOFF_WATCH_WORKFLOW,
            watch,
            id=handoff_watch_id(watch.handoff_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def answer_handoff_watch(client: Client, handoff_id: str) -> bool:
    """The handoff was accepted, declined or ended: its watch stops. False when the watch has
    already finished (it breached) or never started."""
    handle = client.get_workflow_handle(handoff_watch_id(handoff_id))
    try:
        await handle.signal(SIGNAL_HANDOFF_ANSWERED)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
