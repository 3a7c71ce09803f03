"""The journey bridge: turns facts published on Kafka into Temporal starts and signals.

`CaseOpened` starts the case's journey (the reliable path beside the referral service's fast
path; a no-op when it already runs) with what the referral service answers for that case (a
claim-check with the bridge's own credential): an event naming a case the referral service does
not have starts nothing and is dead-lettered. Facts from idp, health-liaison and advocacy
become signals (signals.py names which); `CalendarChanged` is signalled to every running
journey of that authority, which recomputes its clocks (calendar_fanout.py, many at a time). Idempotent twice over: the inbox records the event id,
and each workflow ignores a signal whose event id it has seen.
"""

import logging
from pathlib import Path

from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from llwybr_common.journey import start_journey
from llwybr_common.kafka import EventRejected, Handler, IdempotentConsumer
from llwybr_common.runtime import Runtime, build_app, serve
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CalendarChanged, CaseOpened, Event
from llwybr_contracts.journey import CalendarChangedFact
from llwybr_workflows.calendar_fanout import signal_calendar_changed
from llwybr_workflows.case_directory import CaseDirectory, NoSuchCase
from llwybr_workflows.signals import SIGNALLED, fact_signal

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "journey-bridge"
log = logging.getLogger(__name__)


async def send_signal(client: Client, workflow_id: str, name: str, payload: object) -> bool:
    """Signal the latest run; False when no such workflow exists (a closed case, a request
    already answered): the fact is then history, not news, and is acknowledged."""
    try:
        await client.get_workflow_handle(workflow_id).signal(name, payload)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            log.info("no running workflow for a fact", extra={"workflow_id": workflow_id})
            return False
        raise
    return True


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    cases = CaseDirectory(rt.settings, service="bridge")

    async def on_case_opened(
        session: AsyncSession, envelope: CloudEvent, event: CaseOpened
    ) -> None:
        assert rt.temporal is not None
        # The referral service owns cases: the journey starts from its answer, not from the
        # event's fields, so even a validly signed event cannot invent or reshape a case.
        try:
            journey = await cases.journey_input(event.case_id)
        except NoSuchCase:
            raise EventRejected("the referral service has no case with this id") from None
        if journey is not None:  # None: closed at intake, nothing to run
            await start_journey(rt.temporal, journey)

    async def on_fact(session: AsyncSession, envelope: CloudEvent, event: Event) -> None:
        assert rt.temporal is not None
        route = fact_signal(envelope.id, event)
        if route is not None:
            await send_signal(rt.temporal, *route)

    async def on_calendar_changed(
        session: AsyncSession, envelope: CloudEvent, event: CalendarChanged
    ) -> None:
        assert rt.temporal is not None
        fact = CalendarChangedFact(
            event_id=envelope.id,
            authority=event.authority,
            school_ref=event.school_ref,
            calendar_version=event.calendar_version,
        )
        await signal_calendar_changed(rt.temporal, fact)

    handlers: dict[type[Event], Handler] = {
        CaseOpened: on_case_opened,
        CalendarChanged: on_calendar_changed,
    }
    for kinds in SIGNALLED.values():
        handlers.update(dict.fromkeys(kinds, on_fact))
    return [
        IdempotentConsumer(
            topic=tuple(dict.fromkeys((topics.REFERRAL, topics.JOURNEY, *SIGNALLED))),
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers=handlers,
            max_attempts=rt.settings.max_delivery_attempts,
        )
    ]


def create_app() -> FastAPI:
    return build_app(
        "bridge",
        schema="journey",
        migrations=MIGRATIONS,
        needs_temporal=True,
        consumers=consumers,
        title="Llwybr journey bridge",
        # The journey's events leave through the worker's relay, signed as the worker: a
        # relay here, signing as the bridge, would win the outbox lock now and then and have
        # every consumer dead-letter what it sent.
        publishes=False,
    )


if __name__ == "__main__":
    serve(create_app())
