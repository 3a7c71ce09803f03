"""Talking to a case's journey: start it, send commands as Temporal updates, ask its status.

A command the workflow refuses is a `Conflict` (a date it refuses, an `Invalid` naming the field
and the bound): the journey's `Refusal` (an `ApplicationError`
of type `REFUSAL_ERROR_TYPE` whose first detail is `{code, params}`) becomes `refused.<code>`,
said in Welsh or English from the catalogue; a refusal without a code (a plain message, as
journeys gave before codes) becomes `command-refused` with that message. A command that arrives
before the journey exists, or while Temporal is unreachable, is `Unavailable` with Retry-After.

`Journey` is what the routes depend on; tests give them a fake.
"""

import asyncio
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from temporalio.client import (
    Client,
    RPCError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCStatusCode

from llwybr_common.errors import Conflict, DomainError, FieldError, Invalid, Unavailable
from llwybr_common.idempotency import stable_id
from llwybr_common.journey import start_journey
from llwybr_contracts.journey import (
    QUERY_STATUS,
    ClockView,
    CommandAccepted,
    JourneyInput,
    JourneyStatus,
)
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE, Refusal, RefusalCode

RETRY_AFTER_SECONDS = "5"
# A date the journey refused is a bad field (422), said as `field.dates.<reason>` with its bound.
_DATE_REFUSALS = {
    RefusalCode.DATE_IN_FUTURE: "dates.in-future",
    RefusalCode.DATE_BEFORE_REFERRAL: "dates.before-referral",
    RefusalCode.DATE_BEFORE_DECISION: "dates.before-decision",
}
# Keyword names of DomainError itself, which a refusal's parameters must not shadow.
_RESERVED = frozenset({"code", "headers", "errors", "extra"})


class Journey(Protocol):
    async def start(self, journey: JourneyInput) -> bool: ...

    async def send_command(
        self, *, case_id: str, update: str, payload: BaseModel
    ) -> CommandAccepted: ...

    async def status(self, case_id: str) -> JourneyStatus | None: ...


def unavailable(code: str, **params: Any) -> Unavailable:
    return Unavailable(code, headers={"Retry-After": RETRY_AFTER_SECONDS}, **params)


def refusal_error(cause: BaseException | None, fallback: str) -> DomainError:
    """The 409 for a command the journey refused, by its code when it gave one."""
    if isinstance(cause, ApplicationError) and cause.type == REFUSAL_ERROR_TYPE:
        try:
            refusal = Refusal.model_validate(cause.details[0])
        except (IndexError, ValidationError):
            pass
        else:
            if (reason := _DATE_REFUSALS.get(refusal.code)) and "field" in refusal.params:
                p = refusal.params
                bound = p.get("bound") or p.get("today", "")
                return Invalid(
                    FieldError(p["field"], reason, {"day": p.get("day"), "bound": bound})
                )
            params: dict[str, Any] = {k: v for k, v in refusal.params.items() if k not in _RESERVED}
            return Conflict(f"refused.{refusal.code.value}", **params)
    reason = getattr(cause, "message", None) or str(cause or fallback)
    return Conflict("command-refused", reason=reason)


class TemporalJourney:
    """The journey on Temporal (`client` is None when this process has no connection)."""

    def __init__(self, client: Client | None) -> None:
        self._client = client

    async def start(self, journey: JourneyInput) -> bool:
        if self._client is None:
            return False
        return await start_journey(self._client, journey)

    async def send_command(
        self, *, case_id: str, update: str, payload: BaseModel
    ) -> CommandAccepted:
        if self._client is None:
            raise unavailable("journey-unavailable.no-temporal")
        handle = self._client.get_workflow_handle(journey_workflow_id(case_id))
        try:
            # With an Idempotency-Key the update's id is the same on every retry, so Temporal
            # answers a retry whose first attempt reached the journey with that first result
            # (update ids are unique within a run) instead of applying the command twice.
            return await handle.execute_update(
                update,
                payload,
                id=stable_id(f"update:{update}:{case_id}"),
                result_type=CommandAccepted,
            )
        except WorkflowUpdateFailedError as exc:
            raise refusal_error(exc.cause, str(exc)) from exc
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise unavailable("journey-unavailable.not-started", case_id=case_id) from exc
            if exc.status == RPCStatusCode.FAILED_PRECONDITION:
                raise Conflict("journey-ended", case_id=case_id) from exc
            status = exc.status.name if exc.status else type(exc).__name__
            raise unavailable("journey-unavailable.temporal", status=status) from exc

    async def status(self, case_id: str) -> JourneyStatus | None:
        """The journey's own view, or None when it cannot be asked right now."""
        if self._client is None:
            return None
        handle = self._client.get_workflow_handle(journey_workflow_id(case_id))
        try:
            return await asyncio.wait_for(
                handle.query(QUERY_STATUS, result_type=JourneyStatus), timeout=5
            )
        except (RPCError, WorkflowQueryFailedError, TimeoutError):
            return None


async def journey_clock(
    journey: Journey, case_id: str, rule: str, *, wait_seconds: float = 3.0
) -> tuple[ClockView | None, JourneyStatus | None]:
    """Wait briefly for the journey to report the clock routing chose, or to say it could not
    start it (a `ClockError` on its timeline): (the clock, the journey's last status)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    status = None
    pause = 0.15  # each query is a task on the worker: back off rather than hammer it
    while True:
        await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
        status = await journey.status(case_id) or status
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
