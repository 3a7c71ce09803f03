"""`CalendarChanged` to every running journey of the authority: each reloads its calendars and
recomputes its clocks (journey/lifecycle.py `recalendar`).

The journeys are listed a page at a time by a visibility query (signals.py `open_cases_query`)
and signalled `SIGNALS_IN_FLIGHT` at a time: one by one, 10,000 journeys took minutes (each
signal a round trip to Temporal). Never loses a signal: any failure but "no such workflow"
(closed since it was listed) is raised once the other signals have gone, so the bridge's
consumer retries the whole fan-out (each journey ignores a signal whose event id it has seen)
and, after its last attempt, dead-letters the event.
"""

import asyncio
import logging

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from llwybr_contracts.journey import SIGNAL_CALENDAR_CHANGED, CalendarChangedFact
from llwybr_workflows.signals import open_cases_query

SIGNALS_IN_FLIGHT = 64  # bounded: the server and the worker share this machine with the rest
PAGE_SIZE = 1000
log = logging.getLogger(__name__)


class FanOutIncomplete(Exception):
    """Some journeys were not signalled; the event is retried (or dead-lettered)."""


async def signal_calendar_changed(
    client: Client, fact: CalendarChangedFact, *, in_flight: int = SIGNALS_IN_FLIGHT
) -> int:
    """Signal every running journey of `fact.authority`; the number signalled."""
    query = open_cases_query(fact.authority)
    try:
        return await signal_all(client, query, SIGNAL_CALENDAR_CHANGED, fact, in_flight=in_flight)
    except FanOutIncomplete:
        log.warning(
            "calendar change not signalled to every journey", extra={"authority": fact.authority}
        )
        raise


async def signal_all(
    client: Client, query: str, name: str, payload: object, *, in_flight: int = SIGNALS_IN_FLIGHT
) -> int:
    """Signal `name` to every workflow the visibility query lists; the number signalled."""
    gate = asyncio.Semaphore(in_flight)
    failures: list[BaseException] = []
    signalled = 0

    async def signal(workflow_id: str) -> None:
        nonlocal signalled
        try:
            await client.get_workflow_handle(workflow_id).signal(name, payload)
            signalled += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: it closed since the list
                failures.append(exc)
        except Exception as exc:  # every failure is counted and raised below
            failures.append(exc)
        finally:
            gate.release()

    tasks: set[asyncio.Task[None]] = set()
    try:
        async for wf in client.list_workflows(query, page_size=PAGE_SIZE):
            await gate.acquire()  # the list is read no faster than the signals go
            task = asyncio.create_task(signal(wf.id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:  # a list that fails midway still lets the signals already sent finish
        if tasks:
            await asyncio.gather(*tasks)
    if failures:
        raise FanOutIncomplete(
            f"{len(failures)} workflows not signalled ({signalled} were): {failures[0]!r}"
        ) from failures[0]
    return signalled
