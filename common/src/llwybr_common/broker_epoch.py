"""Which start of the embedded broker this is, so consumers know when its log was lost.

Tansu, the embedded broker, keeps its log in memory. After it restarts, every partition starts
again at offset 0, while a consumer still holds (and may commit there) its old position. When
the new log is shorter than that position, the consumer's lost-log check sees a position past
the end (`IdempotentConsumer.rewind_if_log_lost`). When the new log has already grown past it
(the operator's `llwybr replay` sends a burst at once), nothing in the partition tells the two
logs apart, and the consumer silently skipped every event below its old position: the chaos
test lost `JourneyStarted` notifications this way.

So the embedded stack marks each broker it creates the topics on: one random id, written at
offset 0 of a one-partition topic (`mark_broker_epoch`). Each service reads it every half
second (`watch_broker_epoch`); when the id changes, every consumer of the service reads its
partitions again from the start, and the inbox drops what was already handled. On
Apache Kafka the log is durable and nothing is marked or watched.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from llwybr_common.connections import KafkaConnection

log = logging.getLogger(__name__)

BROKER_EPOCH_TOPIC = "llwybr.broker-epoch"
_PARTITION = TopicPartition(BROKER_EPOCH_TOPIC, 0)


class Rewindable(Protocol):
    def broker_restarted(self) -> None: ...


async def mark_broker_epoch(bootstrap: str, connection: KafkaConnection | None = None) -> str:
    """Give a broker that has no mark one; the mark it holds (the first one written wins, so
    two processes marking at once agree)."""
    options = (connection or KafkaConnection()).client_options()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await admin.start()
    try:
        if BROKER_EPOCH_TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(BROKER_EPOCH_TOPIC, 1, 1)])
    finally:
        await admin.close()
    reader = BrokerEpoch(bootstrap, connection)
    await reader.start()
    try:
        if not await reader.written():
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **options)
            await producer.start()
            try:
                mark = uuid.uuid4().hex.encode()
                await producer.send_and_wait(BROKER_EPOCH_TOPIC, mark, partition=0)
            finally:
                await producer.stop()
        if (mark_read := await reader.read(wait_seconds=5.0)) is None:
            raise RuntimeError(f"the broker at {bootstrap} kept no epoch mark")
        return mark_read
    finally:
        await reader.stop()


class BrokerEpoch:
    """Reads the broker's mark: offset 0 of the epoch topic, fetched afresh on every read."""

    def __init__(self, bootstrap: str, connection: KafkaConnection | None = None) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
            request_timeout_ms=5000,
            **(connection or KafkaConnection()).client_options(),
        )

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.assign([_PARTITION])
        self._consumer.pause(_PARTITION)  # fetched only while read: no idle polling

    async def stop(self) -> None:
        await self._consumer.stop()

    async def written(self) -> bool:
        """Whether the broker holds a mark (its end offset, without waiting for a fetch)."""
        ends = await self._consumer.end_offsets([_PARTITION])
        return bool(ends.get(_PARTITION))

    async def read(self, wait_seconds: float = 1.0) -> str | None:
        """The mark, or None when none came within the wait (the broker restarted and is not
        marked yet, is down, or is slow: nothing to act on)."""
        self._consumer.seek(_PARTITION, 0)  # drops anything fetched before
        self._consumer.resume(_PARTITION)
        try:
            batch = await self._consumer.getmany(
                _PARTITION, timeout_ms=int(wait_seconds * 1000), max_records=1
            )
        finally:
            self._consumer.pause(_PARTITION)
        records = batch.get(_PARTITION) or []
        value = records[0].value if records else None
        return value.decode() if value else None


async def watch_broker_epoch(
    bootstrap: str,
    consumers: Sequence[Rewindable],
    connection: KafkaConnection | None = None,
    every_seconds: float = 0.5,
) -> None:
    """Runs for the process's life: tells every consumer when the broker's mark changed (it
    restarted, lost its log, and the stack marked it again before creating the topics' log
    anew). No mark is no news: a broker that is down or slow says nothing about its log."""
    reader = BrokerEpoch(bootstrap, connection)
    await reader.start()
    try:
        known: str | None = None
        while True:
            try:
                mark = await reader.read()
            except Exception as exc:  # a broker that is down now is asked again next time
                log.debug("broker epoch read failed", extra={"error": type(exc).__name__})
                mark = None
            if mark is not None:
                if known is not None and mark != known:
                    log.warning(
                        "the broker restarted and lost its log: every consumer reads it again",
                        extra={"consumers": len(consumers)},
                    )
                    for consumer in consumers:
                        consumer.broker_restarted()
                known = mark
            await asyncio.sleep(every_seconds)
    finally:
        with contextlib.suppress(Exception):
            await reader.stop()
