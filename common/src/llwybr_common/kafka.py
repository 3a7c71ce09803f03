"""Kafka plumbing every service shares: the broker factory and the idempotent consumer.

Consumers ack by hand after their transaction commits (never FastStream's auto-commit
default), handle one message at a time (an ack commits the consumer's whole position), and
send what cannot be handled to `<topic>.dlq` with the reason in headers, then move on. A failure
caused by an unreachable dependency is not the message's fault: the consumer waits (backing off,
reporting itself blocked to /readyz) and tries the same message again, spending no attempts.
"""

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common import inbox
from llwybr_common.connections import (
    TANSU,
    BrokerProfile,
    KafkaConnection,
    consumer_options,
    kafka_connection,
    probe_broker,
    producer_options,
)
from llwybr_common.db import session_scope
from llwybr_common.dependencies import unavailable_dependency
from llwybr_common.event_signing import EventVerifier, SignatureError
from llwybr_common.settings import Settings
from llwybr_contracts.envelope import CloudEvent, EnvelopeError, unwrap
from llwybr_contracts.events import Event
from llwybr_contracts.topics import dlq

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]

# How long after a broker restart a partition the group assigns is read from its start: the
# groups re-form on the new broker within seconds, longer on a loaded machine.
REJOIN_SECONDS = 60.0

# Headers on a dead letter: the consumer group, the attempt count and the error (docs/events.md).
DLQ_GROUP = "x-llwybr-consumer-group"
DLQ_ATTEMPTS = "x-llwybr-attempts"
DLQ_ERROR = "x-llwybr-error"
DLQ_ORIGIN = "x-llwybr-original-topic"


class EventRejected(Exception):
    """Raised by a handler for an event that must never take effect (e.g. it names a case the
    owning service does not have): dead-lettered at once with the reason, never retried."""


def make_broker(
    bootstrap: str,
    tracer_provider: TracerProvider | None = None,
    *,
    connection: KafkaConnection | None = None,
    producer: dict[str, Any] | None = None,
) -> KafkaBroker:
    """`producer`: from `producer_options` for the broker at hand; without it, acks=all and no
    idempotence, which every broker accepts."""
    return KafkaBroker(
        bootstrap,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        client_id="llwybr",
        **(producer or producer_options(TANSU)),
        **(connection or KafkaConnection()).broker_options(),
    )


async def connect_broker(
    settings: Settings, tracer_provider: TracerProvider | None = None
) -> tuple[KafkaBroker, BrokerProfile]:
    """The process's broker, with the producer settings the Kafka cluster at hand supports, and
    that cluster's profile (the consumers' settings follow it: `consumer_options`)."""
    connection = kafka_connection(settings)
    profile = await probe_broker(settings.kafka_bootstrap, connection)
    producer = producer_options(profile, settings.kafka_idempotence)
    log.info(
        "kafka settings",
        extra={
            "broker": profile.name,
            **producer,
            **consumer_options(profile, settings.kafka_fetch_wait_ms),
        },
    )
    broker = make_broker(
        settings.kafka_bootstrap, tracer_provider, connection=connection, producer=producer
    )
    return broker, profile


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
        outage_backoff_seconds: float = 0.5,
        outage_backoff_cap_seconds: float = 10.0,
        verifier: EventVerifier | None = None,
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
        self._verifier = verifier
        # The cap bounds how long a consumer sleeps after its dependency returns; each wait is
        # far below the broker's max poll interval, so the consumer keeps its partitions.
        self._outage_backoff = outage_backoff_seconds
        self._outage_cap = outage_backoff_cap_seconds
        self._outage_retries = 0
        self._subscriber: Any = None  # FastStream's subscriber, once attached
        self.blocked_on: str | None = None
        self.blocked_since: datetime | None = None
        self._rewind_due = False  # the broker restarted: read every partition from its start
        # Until then (monotonic seconds), partitions the group assigns start from the beginning:
        # a rejoin after the restart positions them at offsets committed from the old log.
        self._rewind_assigned_until = 0.0

    def readiness(self) -> str:
        """What /readyz shows: "ok", or the dependency this consumer waits for, since when."""
        if self.blocked_on is None or self.blocked_since is None:
            return "ok"
        return f"waiting for {self.blocked_on} since {self.blocked_since.isoformat(timespec='seconds')}"

    @property
    def outage_retries(self) -> int:
        """Tries made against a dependency that is down, in the current outage."""
        return self._outage_retries

    def verify_with(self, verifier: EventVerifier) -> None:
        """The producers' keys; the runtime sets them for the consumers a service declares."""
        self._verifier = verifier

    def attach(
        self, router: KafkaRouter | KafkaBroker, options: dict[str, Any] | None = None
    ) -> None:
        """`options`: from `consumer_options` for the broker at hand (its fetch wait)."""
        subscriber = router.subscriber(
            *self.topics,
            group_id=self.group_id,
            listener=_RewindOnAssignment(self),
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            max_workers=1,
            **(options or consumer_options(TANSU)),
            title=f"{','.join(self.topics)}:{self.group_id}",
            description=f"Consumer group {self.group_id}: "
            + ", ".join(sorted(cls.event_name() for cls in self._handlers)),
        )
        self._subscriber = subscriber

        @subscriber
        async def consume(msg: KafkaMessage) -> None:
            await self.process(msg)

    def broker_restarted(self) -> None:
        """The broker lost its log (`llwybr_common.broker_epoch`): every partition this group
        holds is read again from its start, once the consumer holds its partitions."""
        self._rewind_due = True
        self._rewind_assigned_until = time.monotonic() + REJOIN_SECONDS

    async def watch_for_lost_log(self, every_seconds: float = 0.25) -> None:
        """Runs for the process's life: rewinds a partition whose log the broker lost.

        The embedded broker (Tansu) keeps its log in memory and, unlike Kafka, answers a fetch
        past a partition's end with nothing rather than OFFSET_OUT_OF_RANGE. After it restarts,
        a consumer would wait at its old position (or at one it committed to the new broker as
        it came back) and silently skip everything the new log holds below it, `llwybr replay`
        included. A position past the end can only mean the log was lost, so the partition is
        read again from its start; the inbox drops what was already handled. On Kafka this
        never fires (the position is never past the end)."""
        while True:
            await asyncio.sleep(every_seconds)
            consumer = getattr(self._subscriber, "consumer", None)
            if consumer is None:
                continue
            try:
                if self._rewind_due and consumer.assignment():
                    await self.rewind_all(consumer)
                await self.rewind_if_log_lost(consumer)
            except Exception as exc:  # a broker that is down now is checked again next time
                log.debug("lost-log check failed", extra={"error": type(exc).__name__})

    async def assigned(self, partitions: Collection[TopicPartition]) -> None:
        """The group gave this consumer `partitions`: soon after a broker restart, read them
        from their start (an ack in flight as the group re-formed may have committed its old
        position to the new broker, and the rejoin would skip everything below it)."""
        consumer = getattr(self._subscriber, "consumer", None)
        if consumer is None or not partitions or time.monotonic() > self._rewind_assigned_until:
            return
        await consumer.seek_to_beginning(*partitions)
        log.warning(
            "assigned after the broker restarted: reading from the start",
            extra={"consumer": self.group_id, "partitions": len(partitions)},
        )

    async def rewind_all(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """Read every assigned partition from its start, and commit that start, so a rebalance
        does not put the group back at a position it committed to the new broker from the old
        log (an ack in flight as the broker died); the partitions rewound."""
        self._rewind_due = False
        assigned = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*assigned)
        log.warning(
            "the broker restarted: reading every partition again from the start",
            extra={"consumer": self.group_id, "partitions": len(assigned)},
        )
        for attempt in range(3):
            try:
                await consumer.commit(dict.fromkeys(assigned, 0))
                break
            except Exception as exc:  # a rebalance settling: the next ack commits the position
                log.debug("commit after rewind failed", extra={"error": type(exc).__name__})
                await asyncio.sleep(0.5 * (attempt + 1))
        return assigned

    async def rewind_if_log_lost(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """Seek to the start every assigned partition whose position is past the broker's end
        (its high watermark from the last fetch); the partitions rewound."""
        rewound = []
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:
                continue
            with contextlib.suppress(TimeoutError):
                position = await asyncio.wait_for(consumer.position(tp), 1.0)
                if position > end:
                    await consumer.seek_to_beginning(tp)
                    rewound.append(tp)
                    log.warning(
                        "the broker lost this partition's log: reading it again from the start",
                        extra={
                            "consumer": self.group_id,
                            "topic": tp.topic,
                            "partition": tp.partition,
                            "position": position,
                            "end": end,
                        },
                    )
        return rewound

    async def process(self, msg: KafkaMessage) -> None:
        raw = msg.body if isinstance(msg.body, bytes) else bytes(msg.body)
        try:
            envelope, payload = unwrap(raw)
        except EnvelopeError as exc:
            await self._dead_letter(msg, raw, str(exc), attempts=1)
            await msg.ack()
            return
        try:
            if self._verifier is None:  # fail closed: without keys, no event is trusted
                raise SignatureError("this consumer holds no producer keys")
            self._verifier.verify(json.loads(raw), self._topic_of(msg))
        except SignatureError as exc:
            log.warning(
                "refused an event with a bad signature",
                extra={"event_id": envelope.id, "consumer": self.group_id},
            )
            await self._dead_letter(msg, raw, f"SignatureError: {exc}", attempts=1)
            await msg.ack()
            return
        # A later version of an event subclasses the earlier (llwybr_contracts.events): a
        # handler for version 1 takes version 2 unless one is registered for it.
        handler = next(
            (self._handlers[c] for c in type(payload).__mro__ if c in self._handlers), None
        )
        if handler is None:
            await msg.ack()
            return
        try:
            async with session_scope(self._engine) as session:
                if await inbox.claim(
                    session, consumer=self.group_id, event_id=envelope.id, event_type=envelope.type
                ):
                    await handler(session, envelope, payload)
        except EventRejected as exc:
            log.warning(
                "refused an event", extra={"event_id": envelope.id, "consumer": self.group_id}
            )
            await self._dead_letter(msg, raw, f"EventRejected: {exc}", attempts=1)
            await msg.ack()
            return
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            dependency = unavailable_dependency(exc)
            if dependency is None:
                try:
                    attempts = await self._count_attempt(envelope.id, reason)
                except Exception as counting:
                    # The attempt count lives in PostgreSQL: failing to write it is an outage.
                    dependency = unavailable_dependency(counting) or "postgres"
            if dependency is not None:
                await self._wait_for(dependency)
                await msg.nack()
                return
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
        self._unblocked()
        if self._after_commit:
            self._after_commit()
        await msg.ack()

    async def _wait_for(self, dependency: str) -> None:
        if self.blocked_on != dependency:
            # Once per outage, not once per retry; the reason text stays out of logs (it may
            # quote a parameter), the dependency's name is enough to act on.
            log.warning(
                "consumer waiting for a dependency",
                extra={"consumer": self.group_id, "dependency": dependency},
            )
            self.blocked_on = dependency
            self.blocked_since = datetime.now(UTC)
        # The exponent stops growing long before the cap matters; an outage of hours must not
        # overflow the float.
        delay = min(self._outage_cap, self._outage_backoff * 2 ** min(self._outage_retries, 20))
        self._outage_retries += 1
        await asyncio.sleep(delay * random.uniform(0.8, 1.0))

    def _unblocked(self) -> None:
        if self.blocked_on is not None:
            log.info(
                "consumer resumed",
                extra={"consumer": self.group_id, "dependency": self.blocked_on},
            )
        self.blocked_on = self.blocked_since = None
        self._outage_retries = 0

    def _topic_of(self, msg: KafkaMessage) -> str:
        return getattr(msg.raw_message, "topic", None) or self.topics[0]

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
        topic = self._topic_of(msg)
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


class _RewindOnAssignment(ConsumerRebalanceListener):
    """Tells the consumer what its group assigned it (aiokafka calls this once the positions
    of the new assignment may be set)."""

    def __init__(self, consumer: IdempotentConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        await self._consumer.assigned(assigned)
