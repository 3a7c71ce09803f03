"""When the services rewind their consumers: only when the broker's mark changes, never while
the broker is down or slow (a read that brings no mark is no news); and partitions the group
assigns soon after a restart start from the beginning. The real broker's restart is in
tests/integration/test_broker_restart.py."""

import asyncio
from collections.abc import Iterator

import pytest
from aiokafka import TopicPartition

from llwybr_common import broker_epoch, kafka
from llwybr_common.kafka import IdempotentConsumer

pytestmark = pytest.mark.unit


class Consumer:
    def __init__(self) -> None:
        self.told = 0

    def broker_restarted(self) -> None:
        self.told += 1


def reads(monkeypatch: pytest.MonkeyPatch, marks: list[str | None]) -> asyncio.Event:
    """The marks the broker gives, one per read; the event is set once all were read."""
    done = asyncio.Event()
    given: Iterator[str | None] = iter(marks)

    class Reader:
        def __init__(self, *args: object) -> None: ...

        async def start(self) -> None: ...

        async def stop(self) -> None: ...

        async def read(self) -> str | None:
            try:
                return next(given)
            except StopIteration:
                done.set()
                await asyncio.sleep(3600)
                raise AssertionError("unreachable") from None

    monkeypatch.setattr(broker_epoch, "BrokerEpoch", Reader)
    return done


async def watch(marks: list[str | None], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    consumers = [Consumer(), Consumer()]
    done = reads(monkeypatch, marks)
    task = asyncio.create_task(
        broker_epoch.watch_broker_epoch("127.0.0.1:1", consumers, every_seconds=0)
    )
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    return [c.told for c in consumers]


async def test_a_new_mark_tells_every_consumer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await watch(["a", "a", "b", "b", "b"], monkeypatch) == [1, 1]


async def test_a_broker_down_or_slow_tells_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await watch(["a", None, None, "a", None, "a"], monkeypatch) == [0, 0]


async def test_the_mark_after_an_outage_is_compared_with_the_last_one_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Down, then back with a new mark: one rewind. The first mark of all is no change.
    assert await watch([None, "a", None, None, "b", "c"], monkeypatch) == [2, 2]


class Member:
    """The consumer's group member as aiokafka gives it: where each partition is read from."""

    def __init__(self) -> None:
        self.from_start: list[object] = []

    async def seek_to_beginning(self, *partitions: object) -> None:
        self.from_start += partitions


def idempotent_consumer(member: Member) -> IdempotentConsumer:
    consumer = IdempotentConsumer(
        topic="aln.journey.v1",
        group_id="g",
        engine=None,  # type: ignore[arg-type]
        broker=None,  # type: ignore[arg-type]
        handlers={},
    )
    consumer._subscriber = type("Subscriber", (), {"consumer": member})()
    return consumer


async def test_partitions_assigned_soon_after_a_restart_are_read_from_their_start() -> None:
    member = Member()
    consumer = idempotent_consumer(member)
    partitions = [TopicPartition("aln.journey.v1", 0), TopicPartition("aln.journey.v1", 1)]
    await consumer.assigned(partitions)  # an ordinary rebalance: its committed offsets stand
    assert member.from_start == []
    consumer.broker_restarted()
    await consumer.assigned(partitions)  # the group re-formed on the new broker
    assert member.from_start == partitions


async def test_long_after_a_restart_an_assignment_keeps_its_offsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = Member()
    consumer = idempotent_consumer(member)
    monkeypatch.setattr(kafka, "REJOIN_SECONDS", -1.0)  # the window has passed
    consumer.broker_restarted()
    await consumer.assigned([TopicPartition("aln.journey.v1", 0)])
    assert member.from_start == []
