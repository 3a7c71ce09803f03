"""Journey tests: search attributes registered on the dev server (as `llwybr up` does)."""

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

_HERE = os.path.dirname(__file__)
if _HERE not in sys.path:  # journey_kit under --import-mode=importlib
    sys.path.insert(0, _HERE)

from journey_kit import register_search_attributes  # noqa: E402


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def journey_env(
    temporal_env: WorkflowEnvironment, temporal_env_kind: str
) -> AsyncIterator[WorkflowEnvironment]:
    await register_search_attributes(temporal_env.client)
    yield temporal_env


@pytest_asyncio.fixture(loop_scope="session")
async def skipping(temporal_env_kind: str) -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per timing test: each starts at today's date, so skipped
    years in one test never push the next past the shipped calendars."""
    assert temporal_env_kind == "time-skipping"  # the root conftest generates no other kind
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()
