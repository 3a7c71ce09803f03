"""Kafka plumbing every service shares: the broker factory and the idempotent consumer.

Consumers ack by hand after their transaction commits (never FastStream's auto-commit
default), handle one message at a time (an ack commits the consumer's whole position), and
send what cannot be handled to `<topic>.dlq` with the reason in headers, then move on.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common import inbox
from llwybr_common.db import session_scope
from llwybr_contracts.envelope import CloudEvent, EnvelopeError, unwrap
from llwybr_contracts.events import Event
from llwybr_contracts.topics import dlq

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]

# Headers on a dead letter: the consumer group, the attempt count and the error (docs/events.md).
DLQ_GROUP = "x-llwybr-consumer-group"
DLQ_ATTEMPTS = "x-llwybr-attempts"
DLQ_ERROR = "x-llwybr-error"
DLQ_ORIGIN = "x-llwybr-original-topic"


def make_broker(bootstrap: str, tracer_provider: TracerProvider | None = None) -> KafkaBroker:
    return KafkaBroker(
        bootstrap,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        client_id="llwybr",
    )


class IdempotentConsumer:
    """One consumer group on one topic, dispatching by event type to handlers.

    A handler runs inside a transaction that also records the event id in the inbox; events
    with no handler are acknowledged and ignored (the topic carries other contexts' facts).
    """

    def __init__(
        self,
        *,
        topic: str | Sequence[str],
        group_id: str,
        engine: AsyncEngine,
        broker: KafkaBroker,
        handlers: dict[type[Event], Handler],
        max_attempts: int = 5,
        after_commit: Callable[[], None] | None = None,
        retry_backoff_seconds: float = 0.2,
    ) -> None:
        # One consumer group reads all its topics through one consumer: separate consumers in
        # the same group would rebalance each other at every start (seconds each on Tansu).
        self.topics = (topic,) if isinstance(topic, str) else tuple(topic)
        self.group_id = group_id
        self._engine, self._broker = engine, broker
        self._handlers = handlers
        self._max_attempts = max_attempts
        self._after_commit = after_commit
        self._backoff = retry_backoff_seconds

    def attach(self, router: KafkaRouter | KafkaBroker) -> None:
        @router.subscriber(
            *self.topics,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            max_workers=1,
            title=f"{','.join(self.topics)}:{self.group_id}",
            description=f"Consumer group {self.group_id}: "
            + ", ".join(sorted(cls.event_name() for cls in self._handlers)),
        )
        async def consume(msg: KafkaMessage) -> None:
            await self.process(msg)

    async def process(self, msg: KafkaMessage) -> None:
        raw = msg.body if isinstance(msg.body, bytes) else bytes(msg.body)
        try:
            envelope, payload = unwrap(raw)
        except EnvelopeError as exc:
            await self._dead_letter(msg, raw, str(exc), attempts=1)
            await msg.ack()
            return
        handler = self._handlers.get(type(payload))
        if handler is None:
            await msg.ack()
            return
        try:
            async with session_scope(self._engine) as session:
                if await inbox.claim(
                    session, consumer=self.group_id, event_id=envelope.id, event_type=envelope.type
                ):
                    await handler(session, envelope, payload)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            attempts = await self._count_attempt(envelope.id, reason)
            if attempts >= self._max_attempts:
                log.warning(
                    "dead-lettering after repeated failures",
                    extra={
                        "event_id": envelope.id,
                        "attempts": attempts,
                        "consumer": self.group_id,
                    },
                )
                await self._dead_letter(msg, raw, reason, attempts=attempts)
                await msg.ack()
            else:
                await asyncio.sleep(self._backoff * attempts)
                await msg.nack()
            return
        if self._after_commit:
            self._after_commit()
        await msg.ack()

    async def _count_attempt(self, event_id: str, reason: str) -> int:
        async with session_scope(self._engine) as session:
            return await inbox.count_attempt(
                session, consumer=self.group_id, event_id=event_id, error=reason
            )

    async def _dead_letter(
        self, msg: KafkaMessage, raw: bytes, reason: str, *, attempts: int
    ) -> None:
        record = msg.raw_message
        key = getattr(record, "key", None)
        topic = getattr(record, "topic", None) or self.topics[0]
        await self._broker.publish(
            raw,
            dlq(topic),
            key=key,
            headers={
                DLQ_GROUP: self.group_id,
                DLQ_ATTEMPTS: str(attempts),
                DLQ_ERROR: reason[:1000],
                DLQ_ORIGIN: topic,
            },
        )
