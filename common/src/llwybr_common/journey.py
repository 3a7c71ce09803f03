"""Starting a case's journey, from the referral service (fast path, right after commit) and
from the journey bridge (reliable path, from `CaseOpened`). The workflow id makes the second
start a no-op, even after the journey has finished."""

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from llwybr_contracts.journey import JOURNEY_WORKFLOW, JourneyInput
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id


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
