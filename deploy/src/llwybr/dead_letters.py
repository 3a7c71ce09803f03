"""Reading and re-driving dead letters (`<topic>.dlq`), for `llwybr dlq`.

A dead letter is the original message, unchanged, with headers naming the consumer group that
gave up, its attempt count and the error. Re-driving publishes it again to the topic it came
from, with its key and its own headers (a signature, trace context) but without the dead-letter
ones; consumers' inboxes make a message that some group had already handled harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from llwybr_common.connections import kafka_connection
from llwybr_common.kafka import DLQ_ATTEMPTS, DLQ_ERROR, DLQ_GROUP, DLQ_ORIGIN
from llwybr_common.settings import get_settings
from llwybr_contracts.topics import dlq

DLQ_HEADERS = frozenset({DLQ_ATTEMPTS, DLQ_ERROR, DLQ_GROUP, DLQ_ORIGIN})
REDRIVEN = "x-llwybr-redriven-from"  # "<dlq topic>:<partition>:<offset>", for tracing a redrive


class DeadLetterError(Exception):
    """A request `llwybr dlq` cannot answer; the message is meant for the person running it."""


def dead_letter_topic(topic: str) -> str:
    """`aln.referral.v1` or `aln.referral.v1.dlq` -> `aln.referral.v1.dlq`."""
    return topic if topic.endswith(".dlq") else dlq(topic)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def group(self) -> str:
        return self.headers.get(DLQ_GROUP, "")

    @property
    def attempts(self) -> str:
        return self.headers.get(DLQ_ATTEMPTS, "")

    @property
    def error(self) -> str:
        return self.headers.get(DLQ_ERROR, "")

    @property
    def origin(self) -> str:
        return self.headers.get(DLQ_ORIGIN) or self.topic.removesuffix(".dlq")

    def envelope(self) -> dict[str, Any] | None:
        """The CloudEvent as JSON, or None when the message was never a readable envelope."""
        try:
            parsed = json.loads(self.value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def summary(self) -> dict[str, Any]:
        """What `list` shows: where it is, who gave up, and which event (ids and types only)."""
        envelope = self.envelope() or {}
        return {
            "partition": self.partition,
            "offset": self.offset,
            "consumer_group": self.group,
            "attempts": self.attempts,
            "error": self.error,
            "event_id": envelope.get("id"),
            "event_type": envelope.get("type"),
            "original_topic": self.origin,
        }


def _security() -> dict[str, Any]:
    """TLS / SASL of the cluster in LLWYBR_KAFKA_* (nothing for the embedded broker)."""
    return kafka_connection(get_settings()).client_options()


async def read_topic(bootstrap: str, name: str) -> list[Any]:
    """Every record now on topic `name` (aiokafka ConsumerRecords), oldest first per partition;
    DeadLetterError when there is no such topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **_security()
    )
    await consumer.start()
    try:
        if name not in await consumer.topics():
            raise DeadLetterError(f"there is no topic {name} on {bootstrap}")
        partitions = [
            TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        start = await consumer.beginning_offsets(partitions)
        out: list[Any] = []
        for tp in partitions:
            if end[tp] <= start[tp]:
                continue
            consumer.seek(tp, start[tp])
            while await consumer.position(tp) < end[tp]:
                batch = await consumer.getmany(tp, timeout_ms=2000)
                records = batch.get(tp, [])
                if not records:
                    break
                out.extend(r for r in records if r.offset < end[tp])
        return out
    finally:
        await consumer.stop()


async def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every message now on the dead-letter topic of `topic`, oldest first per partition."""
    name = dead_letter_topic(topic)
    return [
        DeadLetter(
            topic=name,
            partition=r.partition,
            offset=r.offset,
            key=r.key,
            value=r.value or b"",
            headers={k: v.decode(errors="replace") for k, v in r.headers},
        )
        for r in await read_topic(bootstrap, name)
    ]


def find(letters: list[DeadLetter], offset: int, partition: int | None) -> DeadLetter:
    matches = [
        d for d in letters if d.offset == offset and (partition is None or d.partition == partition)
    ]
    if not matches:
        raise DeadLetterError(f"no dead letter at offset {offset}")
    if len(matches) > 1:
        where = ", ".join(str(d.partition) for d in matches)
        raise DeadLetterError(f"offset {offset} is in partitions {where}: give --partition")
    return matches[0]


async def redrive(bootstrap: str, letters: list[DeadLetter]) -> int:
    """Publish each dead letter again to its original topic; returns how many were sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **_security())
    await producer.start()
    try:
        for d in letters:
            headers = [(k, v.encode()) for k, v in d.headers.items() if k not in DLQ_HEADERS]
            headers.append((REDRIVEN, f"{d.topic}:{d.partition}:{d.offset}".encode()))
            await producer.send_and_wait(d.origin, d.value, key=d.key, headers=headers)
    finally:
        await producer.stop()
    return len(letters)
