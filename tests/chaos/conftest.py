"""A private embedded stack for the chaos tests: they kill its processes with SIGKILL, so it is
never the session-wide stack the system tests share."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llwybr.stack import Stack, free_port_base
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings

# The reconciler is the last line for a case whose CaseOpened was lost with a process; a few
# seconds instead of the default 30 keep each kind's recovery inside the folder's time budget.
RECONCILE_SECONDS = "3"


@pytest.fixture(scope="package")
def chaos_stack() -> Iterator[Stack]:
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
    environ["LLWYBR_RECONCILE_SECONDS"] = RECONCILE_SECONDS
    # Not under pytest's basetemp, which another pytest run may prune while PostgreSQL lives.
    home = Path(tempfile.mkdtemp(prefix="llwybr-chaos-"))
    stack = Stack(home, free_port_base(), environ=environ)
    try:
        stack.start_infra()
        stack.start_components()
        yield stack
    finally:
        stack.stop()
        if not os.environ.get("LLWYBR_CHAOS_KEEP_HOME"):  # logs to read after a failure
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="package")
def chaos_token(chaos_stack: Stack) -> Callable[..., str]:
    settings = Settings(home=chaos_stack.home)

    def mint(role: str, *scopes: str, subject: str | None = None) -> str:
        return mint_token(
            settings, subject=subject or f"chaos-{role}", roles=[role], scopes=list(scopes)
        )

    return mint
