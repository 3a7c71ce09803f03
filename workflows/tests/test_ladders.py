"""Per-authority escalation ladders as versioned data (journey_ladders on real PostgreSQL):
checked when set, in force by the latest version, the default where none is set or after a
reset, and used by a journey of that authority."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from journey_kit import (
    advance_to,
    at,
    case_input,
    eventually,
    expected,
    journey_worker,
    new_case,
    start_case,
    today,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

import llwybr_workflows
from llwybr.stack import Endpoints
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_contracts.states import DecidingBody
from llwybr_contracts.temporal import journey_workflow_id
from llwybr_workflows.calendar_store import CalendarStore
from llwybr_workflows.journey.activities import CaseSetupLoader
from llwybr_workflows.journey.contracts import CaseSetupRequest
from llwybr_workflows.journey.ladder import DEFAULT_LADDER, HEALTH_LADDER
from llwybr_workflows.ladder_store import LadderError, LadderStore

pytestmark = pytest.mark.integration

MIGRATIONS = Path(llwybr_workflows.__file__).parent / "migrations"
MANAGER_FIRST = [
    {"stage": "at-risk", "roles": ["la-manager"]},
    {"stage": "due", "roles": ["officer", "head-of-service"]},
    {"stage": "breached", "roles": ["head-of-service"]},
]


@pytest_asyncio.fixture(loop_scope="session")
async def engine(
    infra: Endpoints, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncEngine]:
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))
    name = f"l_{unique}"
    engine = make_engine(infra.database_url, name)
    await migrate(engine, MIGRATIONS, name)
    yield engine
    await engine.dispose()


def stores(engine: AsyncEngine) -> tuple[CalendarStore, LadderStore]:
    sessions = lambda: session_scope(engine)  # noqa: E731
    return CalendarStore(sessions), LadderStore(sessions)


async def test_a_ladder_is_checked_before_it_is_stored(engine: AsyncEngine) -> None:
    _, ladders = stores(engine)
    with pytest.raises(LadderError, match="step 1: unknown role 'mayor'"):
        await ladders.set("Cardiff", "la-decision", [{"stage": "at-risk", "roles": ["mayor"]}])
    with pytest.raises(LadderError, match="step 2: stage: Input should be 'at-risk'"):
        await ladders.set("Cardiff", "la-decision", [MANAGER_FIRST[0], {"stage": "x", "roles": []}])
    with pytest.raises(LadderError, match="stage due appears 2 times"):
        await ladders.set("Cardiff", "la-decision", [{"stage": "due", "roles": []}] * 2)
    with pytest.raises(LadderError, match="unknown rule"):
        await ladders.set("Cardiff", "no-such-rule", MANAGER_FIRST)
    assert await ladders.history("Cardiff") == []


async def test_versions_and_the_default(engine: AsyncEngine) -> None:
    calendars, ladders = stores(engine)
    loader = CaseSetupLoader(calendars, ladders)
    env = ActivityEnvironment()
    request = CaseSetupRequest(authority="Cardiff", school_ref=None, year=2026)
    before = await env.run(loader.load_case_setup, request)
    assert before.ladders["la-decision"] == DEFAULT_LADDER and before.ladder_versions == {}

    first = await ladders.set("Cardiff", "la-decision", MANAGER_FIRST)
    second = await ladders.set("caerdydd", "la-decision", MANAGER_FIRST[:2])
    assert (first.version, second.version) == (1, 2)
    setup = await env.run(loader.load_case_setup, request)  # the cache sees the new version
    assert [s.stage for s in setup.ladders["la-decision"]] == ["at-risk", "due"]
    assert setup.ladder_versions == {"la-decision": 2}
    assert setup.ladders["health-response"] == HEALTH_LADDER  # other rules keep theirs
    other = await env.run(loader.load_case_setup, request.model_copy(update={"authority": "Powys"}))
    assert other.ladders["la-decision"] == DEFAULT_LADDER  # other authorities too

    reset = await ladders.reset("Cardiff", "la-decision")
    assert reset.version == 3 and reset.steps is None
    after = await env.run(loader.load_case_setup, request)
    assert after.ladders["la-decision"] == DEFAULT_LADDER and after.ladder_versions == {}
    assert [v.version for v in await ladders.history("Cardiff", "la-decision")] == [3, 2, 1]


async def test_a_journey_alerts_by_its_authoritys_ladder(
    skipping: WorkflowEnvironment, engine: AsyncEngine
) -> None:
    calendars, ladders = stores(engine)
    await ladders.set("Cardiff", "la-decision", MANAGER_FIRST)
    env = skipping
    async with journey_worker(env, CaseSetupLoader(calendars, ladders)) as outbox:
        start = await today(env)
        case = new_case()
        wid = journey_workflow_id(case)
        await start_case(
            env, case_input(case, start, rule="la-decision", body=DecidingBody.LOCAL_AUTHORITY)
        )
        clock = expected("la-decision", start)
        await advance_to(env, at(clock.warnings()[0] + timedelta(days=1)))
        await eventually(lambda: len(outbox.of(wid, "DeadlineAtRisk")) >= 1)
        alert = outbox.of(wid, "DeadlineAtRisk")[0]
        assert (alert["alert_role"], alert["alert_scope"]) == ("la-manager", "la:W06000015")
