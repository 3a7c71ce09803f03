"""The workflow worker process: runs `IdpJourney` and its activities on `aln-journey`, relays
the journey outbox, and answers `/healthz` and `/readyz` like every service."""

import asyncio
from pathlib import Path

from fastapi import FastAPI
from temporalio.worker import Worker

from llwybr_common.runtime import Runtime, build_app, serve
from llwybr_contracts.temporal import TASK_QUEUE
from llwybr_workflows.journey.activities import JourneyActivities, load_case_setup
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney

MIGRATIONS = Path(__file__).parent / "migrations"
WORKFLOWS = [IdpJourney, HealthInput]


def make_worker(rt: Runtime) -> Worker:
    assert rt.temporal is not None
    activities = JourneyActivities(rt)
    return Worker(
        rt.temporal,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=[
            activities.record_journey_event,
            activities.record_journey_events,
            load_case_setup,
        ],
    )


async def _start_worker(rt: Runtime) -> None:
    worker = make_worker(rt)
    rt.tasks.append(asyncio.create_task(worker.run(), name="temporal-worker"))


def create_app() -> FastAPI:
    return build_app(
        "worker",
        schema="journey",
        migrations=MIGRATIONS,
        needs_temporal=True,
        on_start=_start_worker,
        title="Llwybr journey worker",
    )


if __name__ == "__main__":
    serve(create_app())
