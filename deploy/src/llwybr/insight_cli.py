"""`llwybr insight rebuild`: recompute insight's derived figures from its event table.

The event table (`insight.insight_events`, append-only) is the only source; the case and clock
facts every figure is read from are deleted and derived again by the same projection the
consumer runs, in one transaction (readers see the old facts or the new, never half)."""

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from llwybr.stack import Stack, run_sync
from llwybr_common.db import make_engine, session_scope

SCHEMA = "insight"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "insight",
        help="insight's figures (rebuild them from its event table)",
        description="Recompute insight's case and clock facts from the events it has kept.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    rebuild = actions.add_parser("rebuild", help="recompute every figure from the event table")
    rebuild.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
    rebuild.set_defaults(func=run_rebuild)


async def rebuild(database_url: str) -> tuple[int, int, int]:
    """(events read, cases, clocks) after recomputing every fact."""
    from insight import service
    from insight.models import InsightEvent

    engine = make_engine(database_url, SCHEMA)
    try:
        async with session_scope(engine) as session:
            events = (await session.exec(select(func.count()).select_from(InsightEvent))).one()
            cases, clocks = await service.rebuild(session)
    finally:
        await engine.dispose()
    return int(events), cases, clocks


def run_rebuild(args: argparse.Namespace) -> int:
    database_url = os.environ.get("LLWYBR_DATABASE_URL", "")
    stack = Stack.load(args.home)
    endpoints = stack.endpoints if stack else None
    if endpoints and not database_url:
        database_url = endpoints.database_url
    if not database_url:
        print(
            f"llwybr insight rebuild: no running stack under {args.home} and "
            "LLWYBR_DATABASE_URL is not set",
            file=sys.stderr,
        )
        return 1
    events, cases, clocks = run_sync(rebuild(database_url))
    print(f"insight: {cases} cases and {clocks} clocks recomputed from {events} events")
    return 0
