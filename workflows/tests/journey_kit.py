"""Helpers for the journey tests: a worker with a recording outbox activity, time travel on the
time-skipping server, and expected dates straight from the clock package."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from llwybr_clock import StatutoryClock
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.shipped import find_authority
from llwybr_clock.wales import WALES
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import SEARCH_ATTRIBUTES, TASK_QUEUE, journey_workflow_id
from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE
from llwybr_workflows.calendar_snapshots import snapshot_from
from llwybr_workflows.handoff_watch import HandoffWatch
from llwybr_workflows.journey.activities import (
    CaseSetupLoader,
    journey_event_id,
    load_case_setup,
)
from llwybr_workflows.journey.contracts import PublishJourneyEvent
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney

AUTHORITY = "W06000015"  # Cardiff (board W11000029, Cardiff and Vale)
BOARD = "W11000029"


@dataclass
class Outbox:
    events: list[PublishJourneyEvent] = field(default_factory=list)

    def of(self, workflow_id: str, name: str | None = None) -> list[dict[str, Any]]:
        kebab = None if name is None else _kebab(name)
        return [
            {"type": e.event_type.split(".")[3], **e.payload}
            for e in self.events
            if e.workflow_id == workflow_id
            and (kebab is None or e.event_type.split(".")[3] == kebab)
        ]

    def names(self, workflow_id: str) -> list[str]:
        return [e.event_type.split(".")[3] for e in self.events if e.workflow_id == workflow_id]


def _kebab(name: str) -> str:
    return "".join(("-" + c.lower()) if c.isupper() else c for c in name).lstrip("-")


@asynccontextmanager
async def journey_worker(
    env: WorkflowEnvironment, setup: CaseSetupLoader | None = None, outbox: Outbox | None = None
) -> AsyncIterator[Outbox]:
    """A worker recording what the journeys publish; `setup`: a store-backed setup loader
    (default: the shipped calendars); `outbox`: share one between several workers."""
    outbox = outbox if outbox is not None else Outbox()

    @activity.defn(name="record_journey_event")
    async def record(request: PublishJourneyEvent) -> str:
        outbox.events.append(request)
        return journey_event_id(request.workflow_id, request.seq)

    @activity.defn(name="record_journey_events")
    async def record_many(requests: list[PublishJourneyEvent]) -> list[str]:
        outbox.events.extend(requests)
        return [journey_event_id(r.workflow_id, r.seq) for r in requests]

    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney, HealthInput, HandoffWatch],
        activities=[record, record_many, setup.load_case_setup if setup else load_case_setup],
    ):
        yield outbox


async def register_search_attributes(client: Client) -> None:
    kinds = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
             "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}  # fmt: skip
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={n: kinds[t] for n, t in SEARCH_ATTRIBUTES.items()},
            )
        )
    except Exception as exc:  # already registered by an earlier test
        if "already" not in str(exc).lower():
            raise


async def today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(WALES).date()


async def advance_to(env: WorkflowEnvironment, when: datetime) -> None:
    """Skip the time-skipping server's time to `when` (a moment in Wales)."""
    delta = when - await env.get_current_time()
    if delta > timedelta(0):
        await env.sleep(delta)
    await asyncio.sleep(0.05)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WALES)


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def case_input(
    case_id: str,
    start: date,
    *,
    rule: str = "school-decision",
    body: DecidingBody = DecidingBody.SCHOOL,
    state: CaseState = CaseState.DECISION_PENDING,
    school: str | None = "sch-1",
) -> JourneyInput:
    return JourneyInput(
        case_id=case_id,
        child_ref="ch-" + case_id[:6],
        authority=AUTHORITY,
        received_on=start,
        state=state,
        deciding_body=body,
        deciding_authority=AUTHORITY if body == DecidingBody.LOCAL_AUTHORITY else None,
        school_ref=school,
        first_rule=rule if state == CaseState.DECISION_PENDING else None,
        clock_start=start if state == CaseState.DECISION_PENDING else None,
    )


def new_case() -> str:
    return uuid.uuid4().hex[:12]


async def start_case(env: WorkflowEnvironment, journey: JourneyInput) -> WorkflowHandle[Any, Any]:
    return await env.client.start_workflow(
        IdpJourney.run,
        journey,
        id=journey_workflow_id(journey.case_id),
        task_queue=TASK_QUEUE,
    )


def expected(rule: str, start: date, **kwargs: Any) -> StatutoryClock:
    """The clock package's answer on the same snapshots the journey loads."""
    if rule in ("school-decision", "fei-takeover-response"):
        calendar = snapshot_from(find_authority(AUTHORITY), "sch-1", ())  # shipped
    elif rule in ("idp-review", "tribunal-review-application"):
        calendar = None
    else:
        calendar = bank_holiday_snapshot(start.year - 1, start.year + 4)
    return StatutoryClock(rule=rule, start=start, calendar=calendar, **kwargs)


async def status(handle: WorkflowHandle[Any, Any]) -> Any:
    return await handle.query(IdpJourney.status)


def clock_of(st: Any, rule: str, subject: str | None = None) -> Any:
    found = [c for c in st.clocks if c.rule == rule and c.subject == subject]
    assert found, f"no clock {rule} in {[c.rule for c in st.clocks]}"
    return found[0]


async def next_run(handle: WorkflowHandle[Any, Any], old: str | None) -> str:
    """The run id after a continue-as-new (waits for it)."""
    for _ in range(200):
        run_id = (await handle.describe()).run_id
        if run_id != old:
            assert run_id is not None
            return run_id
        await asyncio.sleep(0.05)
    raise AssertionError("no continue-as-new")


def refusal(err: WorkflowUpdateFailedError) -> dict[str, Any]:
    """The refusal a rejected update carries: {"code": ..., "params": {...}}."""
    cause = err.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == REFUSAL_ERROR_TYPE
    assert cause.message == cause.details[0]["code"]
    found: dict[str, Any] = cause.details[0]
    return found
