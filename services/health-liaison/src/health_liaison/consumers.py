"""Kafka handlers of the health-liaison service: thin, they call the service.

Consumes the journey's `HealthInputRequested`, `HealthInputWithdrawn`, and `ClockChanged` and
deadline events of the `health-response` clock.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from health_liaison import service
from llwybr_common.kafka import IdempotentConsumer
from llwybr_common.runtime import Runtime
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import (
    ClockChanged,
    DeadlineAtRisk,
    DeadlineBreached,
    DeadlineDue,
    DeadlineEscalated,
    DeadlineEvent,
    HealthInputRequested,
    HealthInputWithdrawn,
)
from llwybr_contracts.vocabulary import RuleId

GROUP = "health-liaison"


async def on_health_input_requested(
    session: AsyncSession, envelope: CloudEvent, event: HealthInputRequested
) -> None:
    await service.open_request(session, event=event)


async def on_health_input_withdrawn(
    session: AsyncSession, envelope: CloudEvent, event: HealthInputWithdrawn
) -> None:
    await service.withdraw(session, request_id=event.request_id, withdrawn_on=event.withdrawn_on)


async def on_clock_changed(
    session: AsyncSession, envelope: CloudEvent, event: ClockChanged
) -> None:
    if event.rule != RuleId.HEALTH_RESPONSE or event.request_id is None:
        return
    await service.follow_clock(
        session,
        request_id=event.request_id,
        due=event.due,
        change=event.change,
        calendar_version=event.calendar_version,
    )


async def on_deadline(session: AsyncSession, envelope: CloudEvent, event: DeadlineEvent) -> None:
    if event.rule != RuleId.HEALTH_RESPONSE or event.request_id is None:
        return
    await service.note_deadline(
        session,
        request_id=event.request_id,
        kind=type(event).event_name(),
        escalation_level=event.escalation_level,
    )


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    return [
        IdempotentConsumer(
            topic=topics.JOURNEY,
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={
                HealthInputRequested: on_health_input_requested,
                HealthInputWithdrawn: on_health_input_withdrawn,
                ClockChanged: on_clock_changed,
                DeadlineAtRisk: on_deadline,
                DeadlineDue: on_deadline,
                DeadlineBreached: on_deadline,
                DeadlineEscalated: on_deadline,
            },
            max_attempts=rt.settings.max_delivery_attempts,
        )
    ]
