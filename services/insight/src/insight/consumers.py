"""Kafka handlers of the insight service: every event of every topic is kept.

One consumer group reads all topics through the common idempotent inbox (a redelivery changes
nothing; an unreadable or forged event goes to `<topic>.dlq`). Insight publishes nothing.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from insight import service
from llwybr_common.kafka import Handler, IdempotentConsumer
from llwybr_common.runtime import Runtime
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CATALOGUE, Event

GROUP = "insight"


async def on_event(session: AsyncSession, envelope: CloudEvent, event: Event) -> None:
    await service.keep(session, envelope, event)


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    handlers: dict[type[Event], Handler] = {cls: on_event for cls in CATALOGUE.values()}
    return [
        IdempotentConsumer(
            topic=tuple(topics.TOPICS),
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers=handlers,
            max_attempts=rt.settings.max_delivery_attempts,
        )
    ]
