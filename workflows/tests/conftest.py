"""Journey tests: search attributes registered on the dev server (as `llwybr up` does)."""

import os
import sys
from collections.abc import AsyncIterator

import pytest_asyncio
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
