"""Bench: a health board's DECLO inbox over a large table, keyset pages vs OFFSET pages.

    .venv/bin/python bench/health_inbox.py [--requests 100000] [--pages 20]

Starts the embedded PostgreSQL (through the stack launcher, in a temporary home), migrates the
health-liaison schema, loads N s.20 requests spread over the 22 authorities (so over the 7
boards), then reads Cardiff and Vale's open inbox 50 at a time: deep pages through the service's
own `inbox_query` (keyset cursor on the inbox-order index) beside a baseline of the same order
paged with OFFSET, and the whole `list_inbox` (which also writes one audit row per listed
request, as production does). Prints the medians, the ratio and the keyset query's plan.
Not a test.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

import health_liaison
from health_liaison.access import Viewer
from health_liaison.models import HealthInputRequest
from health_liaison.service import InboxFilter, encode_cursor, inbox_query, list_inbox
from llwybr.stack import Stack, free_port_base
from llwybr_clock.shipped import authorities
from llwybr_common.auth import Principal
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate

BOARD = "W11000029"  # Cardiff and Vale
PAGE = 50
TODAY = date(2026, 12, 1)


async def load(engine: AsyncEngine, n: int) -> None:
    rng = random.Random(6)
    las = authorities()
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        la = las[i % len(las)]
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        answered = rng.random() < 0.6
        rows.append(
            {
                "request_id": f"r{i:07d}",
                "case_id": f"c{i:07d}",
                "authority": la.ons_code,
                "board": la.health_board_ons_code,
                "received_on": start,
                "due": start + timedelta(days=42),
                "clock_state": "running",
                "status": "responded" if answered else "open",
                "escalation_level": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with session_scope(engine) as session:
        for chunk in range(0, n, 5000):
            await session.execute(insert(HealthInputRequest), rows[chunk : chunk + 5000])  # type: ignore[call-overload]
        await session.execute(text("ANALYZE health_requests"))


async def keyset_page(engine: AsyncEngine, viewer: Viewer, cursor: str | None) -> str | None:
    query = inbox_query(
        viewer=viewer, filters=InboxFilter(), today=TODAY, limit=PAGE, cursor=cursor
    )
    async with session_scope(engine) as session:
        rows = (await session.exec(query)).all()
    return encode_cursor(rows[PAGE - 1])


async def audited_page(engine: AsyncEngine, viewer: Viewer, cursor: str | None) -> str | None:
    async with session_scope(engine) as session:
        _, nxt = await list_inbox(
            session,
            viewer=viewer,
            filters=InboxFilter(status=()),
            today=TODAY,
            limit=PAGE,
            cursor=cursor,
        )
    return nxt


OFFSET_SQL = text(
    "SELECT * FROM health_requests WHERE board = :b "
    "ORDER BY COALESCE(due, DATE '9999-12-31'), request_id LIMIT :n OFFSET :o"
)


async def offset_page(engine: AsyncEngine, offset: int) -> None:
    async with session_scope(engine) as session:
        (await session.execute(OFFSET_SQL, {"b": BOARD, "n": PAGE, "o": offset})).all()


async def run(database_url: str, n: int, pages: int) -> None:
    engine = make_engine(database_url, "bench_health")
    await migrate(engine, Path(health_liaison.__file__).parent / "migrations", "bench_health")
    t0 = time.perf_counter()
    await load(engine, n)
    print(f"loaded {n:,} requests in {time.perf_counter() - t0:.1f} s")
    viewer = Viewer(Principal("bench", frozenset({"declo"}), (("board", BOARD),)), "health",
                    boards=frozenset({BOARD}))  # fmt: skip
    async with session_scope(engine) as session:
        total = (
            await session.execute(
                text("SELECT count(*) FROM health_requests WHERE board = :b"), {"b": BOARD}
            )
        ).scalar_one()
        depth = total // 2  # the middle of the board's inbox
        row = (
            (await session.execute(OFFSET_SQL, {"b": BOARD, "n": 1, "o": depth - 1}))
            .mappings()
            .one()
        )
    start = encode_cursor(HealthInputRequest.model_validate(dict(row)))
    keyset: list[float] = []
    offset: list[float] = []
    audited: list[float] = []
    cursor: str | None = start
    for p in range(pages):
        t = time.perf_counter()
        cursor = await keyset_page(engine, viewer, cursor)
        keyset.append(time.perf_counter() - t)
        t = time.perf_counter()
        await offset_page(engine, depth + p * PAGE)
        offset.append(time.perf_counter() - t)
    cursor = start
    for _ in range(pages):
        t = time.perf_counter()
        cursor = await audited_page(engine, viewer, cursor)
        audited.append(time.perf_counter() - t)
    async with session_scope(engine) as session:
        plan = (
            (
                await session.execute(
                    text(
                        "EXPLAIN SELECT * FROM health_requests WHERE board = :b AND "
                        "(COALESCE(due, DATE '9999-12-31'), request_id) > (DATE '2026-06-01', 'r') "
                        "ORDER BY COALESCE(due, DATE '9999-12-31'), request_id LIMIT 51"
                    ),
                    {"b": BOARD},
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    k, o, a = (statistics.median(x) * 1000 for x in (keyset, offset, audited))
    print(f"board {BOARD}: {total:,} requests; {pages} pages of {PAGE} from depth {depth:,}")
    print(f"keyset (inbox_query):          median {k:.2f} ms/page")
    print(f"OFFSET baseline, same order:   median {o:.2f} ms/page")
    print(f"ratio OFFSET / keyset: {o / k:.1f}x")
    print(f"list_inbox (keyset + {PAGE} audit rows): median {a:.2f} ms/page")
    print("plan of the keyset query:\n  " + "\n  ".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llwybr-bench-") as home:
        stack = Stack(home, free_port_base())
        try:
            endpoints = stack.start_infra()
            asyncio.run(run(endpoints.database_url, args.requests, args.pages))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
