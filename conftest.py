"""Fixtures shared by every tier of the suite.

`infra` starts the real embedded infrastructure (PostgreSQL, Temporal dev server, Tansu,
SMTP sink) once per session on free ports under a temporary home, through the same code as
`llwybr up`, and stops it afterwards. `temporal_env` gives workflow tests the time-skipping
server, the dev server, or both (`--temporal-env`).
"""

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from llwybr.stack import Endpoints, Stack, free_port_base

BIN = Path(sys.executable).parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--temporal-env",
        choices=["time-skipping", "dev", "both"],
        default="both",
        help="which Temporal server workflow tests run on (default: both)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "temporal_env_kind" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--temporal-env")
        kinds = ["time-skipping", "dev"] if choice == "both" else [choice]
        # Timing paths need time skipping; visibility queries need the dev server. Such tests
        # are generated only for the server they can run on, rather than skipped on the other.
        if "skipping" in metafunc.fixturenames:
            kinds = [k for k in kinds if k == "time-skipping"]
        if metafunc.definition.get_closest_marker("dev_server"):
            kinds = [k for k in kinds if k == "dev"]
        metafunc.parametrize("temporal_env_kind", kinds, scope="session")


# Tests that share one expensive private stack run on one xdist worker (`-n 2 --dist loadgroup`):
# each worker starts its own session fixtures, and two copies of a stack on two cores would cost
# more than they save. Everything else is spread across the workers a module at a time.
STACK_GROUPS = {
    "tests/system/": "whole-stack",
    "tests/chaos/": "chaos-stack",
    "deploy/tests/test_stack_system.py": "stack-cli",
}


def work_unit(nodeid: str) -> str:
    """The unit a test is scheduled in: its stack's group, else its module."""
    for prefix, group in STACK_GROUPS.items():
        if nodeid.startswith(prefix):
            return group
    return nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Groups by path, decided where the work is handed out. (xdist's own `xdist_group` mark
    works by renaming the test's node id, which pytest 9 no longer allows: every group was
    silently spread over both workers, each starting its own copy of the stack.)"""
    from xdist.scheduler import LoadScopeScheduling

    class StackGroups(LoadScopeScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # xdist queues units by their number of tests, which put the whole stack's
            # (80 tests, the longest by far) eighth, behind the authorization matrices: it
            # started minutes in and was the run's tail. Handed out first, it runs beside
            # everything else.
            if not self._ordered:
                self._ordered = True
                if "whole-stack" in self.workqueue:
                    self.workqueue.move_to_end("whole-stack", last=False)
            super()._assign_work_unit(node)

    return StackGroups(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `recording` (they write fixtures, saved histories) run only when asked."""
    if os.environ.get("LLWYBR_RECORD_HISTORIES"):
        return
    recording = [i for i in items if i.get_closest_marker("recording")]
    if recording:
        config.hook.pytest_deselected(items=recording)
        items[:] = [i for i in items if not i.get_closest_marker("recording")]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "LLWYBR_DATABASE_URL",
            "LLWYBR_KAFKA_BOOTSTRAP",
            "LLWYBR_TEMPORAL_ADDRESS",
            "LLWYBR_SMTP_HOST",
        )
    }
    # Not under pytest's basetemp: another pytest run on this machine may prune that while
    # PostgreSQL still lives in it.
    home = Path(tempfile.mkdtemp(prefix="llwybr-test-"))
    s = Stack(home, free_port_base(), environ=environ)
    try:
        yield s
    finally:
        s.stop()
        if not os.environ.get("LLWYBR_TEST_KEEP_HOME"):  # logs to read after a failure
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def infra(stack: Stack) -> Endpoints:
    return stack.start_infra()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env(temporal_env_kind: str) -> AsyncIterator[WorkflowEnvironment]:
    if temporal_env_kind == "time-skipping":
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(BIN / "temporal-test-server"),
            data_converter=pydantic_data_converter,
        )
    else:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            port=None,  # a free port: start_local on a busy port silently shares
            ui=False,
            data_converter=pydantic_data_converter,
            dev_server_log_level="warn",
        )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def unique() -> str:
    """A fresh reference for one test (no shared mutable state between tests)."""
    return uuid.uuid4().hex[:10]
