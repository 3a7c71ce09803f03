"""Announce an imported calendar: `CalendarChanged` into the journey's outbox, so the worker's
relay publishes it (keyed by the authority's ONS code) and every open clock of that authority
is recomputed. Only when a stack is running or LLWYBR_DATABASE_URL points at one."""

import os
import uuid
from pathlib import Path

from llwybr.stack import Stack, run_sync
from llwybr_common.connections import database_ssl
from llwybr_common.db import make_engine, session_scope
from llwybr_common.outbox import add_event
from llwybr_common.settings import get_settings
from llwybr_contracts.events import CalendarChanged


def database_url(home: Path) -> str | None:
    if url := os.environ.get("LLWYBR_DATABASE_URL"):
        return url
    stack = Stack.load(home)
    endpoints = stack.endpoints if stack else None
    return endpoints.database_url if endpoints else None


async def _publish(url: str, event: CalendarChanged) -> str:
    engine = make_engine(url, "journey", ssl=database_ssl(get_settings()), pool_size=1)
    event_id = str(uuid.uuid4())
    try:
        async with session_scope(engine) as session:
            add_event(
                session, event, event_id=event_id, source="/llwybr/cli", subject=event.authority
            )
    finally:
        await engine.dispose()
    return event_id


def announce(home: Path, *, authority: str, school: str | None, version: str) -> str | None:
    """The event id, or None when no stack is there to tell."""
    url = database_url(home)
    if not url:
        return None
    event = CalendarChanged(authority=authority, school_ref=school, calendar_version=version)
    return run_sync(_publish(url, event))
