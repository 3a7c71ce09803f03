"""Talking to a case's journey: commands as Temporal updates, status as a query.

A command the workflow's validator refuses answers 409 with its reason; one that arrives
before the journey exists (or while Temporal is unreachable) answers 503 with Retry-After.
"""

import asyncio

from pydantic import BaseModel
from temporalio.client import (
    Client,
    RPCError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCStatusCode

from llwybr_common.problems import Problem
from llwybr_contracts.journey import QUERY_STATUS, ClockView, CommandAccepted, JourneyStatus
from llwybr_contracts.temporal import journey_workflow_id

RETRY_AFTER_SECONDS = "5"


def _unavailable(detail: str) -> Problem:
    return Problem(
        503,
        "The case's journey is not available yet",
        detail,
        type_="journey-unavailable",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def send_command(
    client: Client | None, *, case_id: str, update: str, payload: BaseModel
) -> CommandAccepted:
    if client is None:
        raise _unavailable("this service has no connection to Temporal")
    handle = client.get_workflow_handle(journey_workflow_id(case_id))
    try:
        return await handle.execute_update(update, payload, result_type=CommandAccepted)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        reason = getattr(cause, "message", None) or str(cause or exc)
        raise Problem(
            409, "Not allowed in the case's current state", reason, type_="command-refused"
        ) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise _unavailable(
                f"the journey for case {case_id} has not started yet; try again shortly"
            ) from exc
        if exc.status == RPCStatusCode.FAILED_PRECONDITION:
            raise Problem(
                409, "The case's journey has ended", exc.message, type_="journey-ended"
            ) from exc
        raise _unavailable(
            f"Temporal did not answer: {exc.status.name if exc.status else exc}"
        ) from exc


async def journey_status(client: Client | None, case_id: str) -> JourneyStatus | None:
    """The journey's own view, or None when it cannot be asked right now."""
    if client is None:
        return None
    handle = client.get_workflow_handle(journey_workflow_id(case_id))
    try:
        return await asyncio.wait_for(
            handle.query(QUERY_STATUS, result_type=JourneyStatus), timeout=5
        )
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        return None


async def first_clock(
    client: Client | None, case_id: str, rule: str, *, wait_seconds: float = 3.0
) -> tuple[ClockView | None, JourneyStatus | None]:
    """Wait briefly for the journey to report the clock routing chose, or to say it could not
    start it (a `ClockError` on its timeline): (the clock, the journey's last status)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    status = None
    pause = 0.15  # each query is a task on the worker: back off rather than hammer it
    while True:
        await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
        status = await journey_status(client, case_id) or status
        if status is not None:
            for clock in status.clocks:
                if clock.rule == rule:
                    return clock, status
            if clock_error(status, rule):
                return None, status
        if loop.time() >= deadline:
            return None, status
        pause *= 1.5


def clock_error(status: JourneyStatus, rule: str) -> str | None:
    """The journey's reason for not starting `rule`, e.g. `CoverageError`, if it gave one."""
    for entry in status.timeline:
        if entry.kind == "ClockError" and entry.detail.startswith(f"rule={rule} "):
            return entry.detail.split(" ", 1)[1]
    return None
