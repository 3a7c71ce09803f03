"""The journey's outbox activity: an activity retry cannot publish twice."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

import llwybr_workflows
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_contracts.events import JourneyStarted
from llwybr_contracts.states import CaseState
from llwybr_workflows.journey.activities import JourneyActivities, journey_event_id
from llwybr_workflows.journey.contracts import PublishJourneyEvent

pytestmark = pytest.mark.integration

JOURNEY_MIGRATIONS = Path(llwybr_workflows.__file__).parent / "migrations"


async def test_retried_activity_writes_one_outbox_row(infra: Endpoints, unique: str) -> None:
    schema = f"j_{unique}"
    engine = make_engine(infra.database_url, schema)
    await migrate(engine, JOURNEY_MIGRATIONS, schema)
    woken: list[bool] = []
    runtime = SimpleNamespace(
        session=lambda: session_scope(engine),
        source="/llwybr/worker",
        relay=SimpleNamespace(wake=lambda: woken.append(True)),
    )
    activities = JourneyActivities(runtime)  # type: ignore[arg-type]
    event = JourneyStarted(
        case_id=unique, workflow_id=f"case-{unique}", state=CaseState.DECISION_PENDING
    )
    request = PublishJourneyEvent(
        workflow_id=f"case-{unique}",
        seq=1,
        subject=unique,
        event_type=event.cloudevent_type(),
        payload=event.model_dump(mode="json"),
    )
    env = ActivityEnvironment()
    first = await env.run(activities.record_journey_event, request)
    again = await env.run(activities.record_journey_event, request)  # a retry after a timeout
    assert first == again == journey_event_id(f"case-{unique}", 1)
    async with session_scope(engine) as session:
        rows = (await session.execute(text("SELECT event_id, key, envelope FROM outbox"))).all()
    assert [(r[0], r[1]) for r in rows] == [(first, unique)]
    assert rows[0][2]["type"] == "wales.aln.journey.journey-started.v1"
    assert rows[0][2]["data"]["case_id"] == unique
    assert woken
    await engine.dispose()
