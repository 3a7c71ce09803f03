"""Small helpers for tests on the real stack."""

import asyncio
import io
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from llwybr_common.db import make_engine
from llwybr_common.migrations import migrate
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.states import CaseState

T = TypeVar("T")

# A migrations folder with only the common tables (outbox, inbox, delivery attempts, audit,
# idempotency keys): no service's own tables.
COMMON_MIGRATIONS = Path(__file__).parent / "common_migrations"


def opened(case_id: str) -> CaseOpened:
    """A Cardiff case opened on a fixed day: the event the plumbing tests send."""
    return CaseOpened(
        case_id=case_id,
        child_ref=f"ch-{case_id}",
        authority="W06000015",
        received_on=date(2026, 11, 16),
        state=CaseState.DECISION_PENDING,
    )


async def fresh_schema(database_url: str, schema: str) -> AsyncEngine:
    engine = make_engine(database_url, schema)
    await migrate(engine, COMMON_MIGRATIONS, schema)
    return engine


async def create_topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    within: float = 30.0,
    every: float = 0.1,
) -> T:
    """Poll `probe` until `done(result)`, for at most `within` seconds; returns the last result."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if done(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(every)


def clock_cli_due(rule: str, start: date) -> date:
    """What `llwybr clock RULE --start START` prints as the due date."""
    out = subprocess.run(
        [sys.executable, "-m", "llwybr.cli", "clock", rule, "--start", start.isoformat(), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return date.fromisoformat(json.loads(out.stdout)["due"])


def pdf_text(pdf: bytes) -> str:
    """A PDF's text, white space folded."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
