"""The CLI's door to the journey's database and its calendar store (PostgreSQL, schema `journey`): the running
stack's database (`--home`), or LLWYBR_DATABASE_URL. An import there queues `CalendarChanged`
in the journey outbox in the same transaction; the worker's relay publishes it (keyed by the
authority's ONS code) and every open clock of that authority is recomputed.

Light to import (`llwybr clock` imports it): SQLAlchemy and the stack's clients are imported
only once a database is there to ask."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from llwybr_workflows.calendar_store import CalendarStore, Sessions

T = TypeVar("T")
RECORD_FILE = "stack.json"  # llwybr.stack's record of a stack under its home


def database_url(home: Path) -> str | None:
    if url := os.environ.get("LLWYBR_DATABASE_URL"):
        return url
    if not (Path(home).expanduser() / RECORD_FILE).is_file():
        return None  # no stack recorded: no need to import its machinery to know
    from llwybr.stack import Stack

    stack = Stack.load(home)
    endpoints = stack.endpoints if stack else None
    return endpoints.database_url if endpoints else None


async def _on_journey(url: str, use: Callable[[Sessions], Awaitable[T]]) -> T:
    from llwybr_common.connections import database_ssl
    from llwybr_common.db import make_engine, session_scope
    from llwybr_common.settings import get_settings

    engine = make_engine(url, "journey", ssl=database_ssl(get_settings()), pool_size=1)
    try:
        return await use(lambda: session_scope(engine))
    finally:
        await engine.dispose()


class Unreachable(Exception):
    """A database is configured but does not answer (a stack recorded but not running)."""


def on_journey(home: Path, use: Callable[[Sessions], Awaitable[T]]) -> tuple[bool, T | None]:
    """(True, the answer) from the journey's database; (False, None) when none is there."""
    url = database_url(home)
    if not url:
        return False, None
    from sqlalchemy.exc import DBAPIError

    from llwybr.stack import run_sync

    try:
        return True, run_sync(_on_journey(url, use))
    except (OSError, DBAPIError) as exc:
        raise Unreachable(
            f"cannot reach the journey's database ({type(exc).__name__}): is the stack under "
            f"{home} up (`llwybr status --home {home}`), or LLWYBR_DATABASE_URL right?"
        ) from None


def on_store(home: Path, use: Callable[[CalendarStore], Awaitable[T]]) -> tuple[bool, T | None]:
    """The same, on the calendar store."""

    def on_sessions(sessions: Sessions) -> Awaitable[T]:
        from llwybr_workflows.calendar_store import CalendarStore

        return use(CalendarStore(sessions, source="/llwybr/cli"))

    return on_journey(home, on_sessions)
