"""The workflow worker process: runs `IdpJourney` (and `HandoffWatch`) and its activities on `aln-journey`, relays
the journey outbox, starts journeys missing for open cases (the reconciler), and answers
`/healthz` and `/readyz` like every service."""

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI
from temporalio.worker import Worker

from llwybr_common.runtime import Runtime, build_app, serve
from llwybr_contracts.temporal import TASK_QUEUE
from llwybr_workflows import calendar_api
from llwybr_workflows.calendar_store import CalendarStore
from llwybr_workflows.case_directory import CaseDirectory
from llwybr_workflows.handoff_watch import HandoffWatch
from llwybr_workflows.journey.activities import CaseSetupLoader, JourneyActivities
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from llwybr_workflows.ladder_store import LadderStore
from llwybr_workflows.reconciler import run_reconciler

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)
WORKFLOWS = [IdpJourney, HealthInput, HandoffWatch]


# Journeys kept in this worker between tasks (the SDK's default is 1,000): a journey evicted
# replays its history on its next task. Journeys share their calendars (`shared_setup`), so
# one cached journey costs tens of kB; 10,000 keeps every journey of a large authority warm.
WORKFLOW_CACHE = 10_000
# Workflow tasks and local activities in flight at once (a journey's first task runs its
# setup and outbox writes locally); more only queues on 2 cores and lets tasks time out.
TASKS_IN_FLIGHT = 50


def make_worker(
    rt: Runtime,
    *,
    max_cached_workflows: int = WORKFLOW_CACHE,
    tasks_in_flight: int = TASKS_IN_FLIGHT,
) -> Worker:
    assert rt.temporal is not None
    activities = JourneyActivities(rt)
    setup = CaseSetupLoader(CalendarStore(rt.session, source=rt.source), LadderStore(rt.session))
    return Worker(
        rt.temporal,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=[
            activities.record_journey_event,
            activities.record_journey_events,
            setup.load_case_setup,
        ],
        max_cached_workflows=max_cached_workflows,
        max_concurrent_workflow_tasks=tasks_in_flight,
        max_concurrent_local_activities=tasks_in_flight,
    )


async def _start_worker(rt: Runtime) -> None:
    worker = make_worker(rt)
    rt.tasks.append(asyncio.create_task(worker.run(), name="temporal-worker"))
    if not rt.settings.service_urls.get("referral"):
        log.warning("no referral service configured: journeys missing for open cases stay so")
        return
    assert rt.temporal is not None
    reconciler = run_reconciler(
        rt.temporal,
        CaseDirectory(rt.settings, service="worker"),
        every_seconds=rt.settings.reconcile_seconds,
        lookback_days=rt.settings.reconcile_days,
    )
    rt.tasks.append(asyncio.create_task(reconciler, name="journey-reconciler"))


def create_app() -> FastAPI:
    return build_app(
        "worker",
        schema="journey",
        migrations=MIGRATIONS,
        routers=[calendar_api.router],
        needs_temporal=True,
        on_start=_start_worker,
        title="Llwybr journey worker",
    )


if __name__ == "__main__":
    serve(create_app())
