"""The embedded broker keeps its log in memory: after it restarts, a consumer must read the new
log from its start, not wait at its old position. A private Tansu the test kills and starts again
on the same port; the session's PostgreSQL for the consumer's inbox.

The race the chaos test met: a message is being handled when the broker dies, its ack commits
the old position to the new broker, the group rejoins at that position, and Tansu (unlike Kafka)
answers a fetch past the end with nothing. Without the consumer's lost-log watch, every event the
new log holds below the old position (the operator's replay included) was skipped for good. The
test puts that stale commit on the new broker itself, so the race is not left to timing.

The second race: the new log has already grown past the old position when the consumer reads it
(the replay sends a burst at once). The partition then looks like the old log; only the broker's
epoch mark, which the stack writes each time it creates the topics, tells them apart.
"""

import asyncio
import contextlib
import subprocess
from collections.abc import Awaitable, Callable, Iterator

import pytest
from aiokafka import TopicPartition
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr.stack import Endpoints, free_port_base, tansu_bin
from llwybr_common.broker_epoch import mark_broker_epoch, watch_broker_epoch
from llwybr_common.kafka import IdempotentConsumer, make_broker
from llwybr_contracts.envelope import CloudEvent, wrap
from llwybr_contracts.events import CaseOpened
from tests.integration.helpers import create_topics, eventually, fresh_schema, opened
from tests.integration.signing import Keys

pytestmark = pytest.mark.integration

OLD = 12  # events handled before the broker dies: the consumer's position is past the new log


class Tansu:
    def __init__(self, port: int) -> None:
        self.bootstrap = f"127.0.0.1:{port}"
        self._url = f"tcp://{self.bootstrap}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                *(str(tansu_bin()), "broker", "--listener-url", self._url),
                *("--advertised-listener-url", self._url, "--storage-engine", "memory://tansu/"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def create(self, topic: str, *, mark: bool = True) -> None:
        """The topic, once the broker listens (it starts in well under a second), and the
        broker's epoch mark, as the stack writes them (`mark=False`: not yet)."""
        for _ in range(50):
            with contextlib.suppress(Exception):
                await create_topics(self.bootstrap, topic, partitions=1)
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"Tansu at {self.bootstrap} never answered")
        if mark:
            await mark_broker_epoch(self.bootstrap)

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(10)
            self._proc = None


@pytest.fixture
def tansu() -> Iterator[Tansu]:
    broker = Tansu(free_port_base(span=1))
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


async def _async(value: int) -> int:
    return value


async def strand_at(
    consumer: IdempotentConsumer,
    topic: str,
    offset: int,
    meanwhile: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Put the consumer where the race leaves it: back in its group on the new broker, at its
    old position, with that position committed there. Done as the group's member, once it has
    rejoined, because Tansu refuses a commit from outside a group that has members.
    `meanwhile` runs with the partition paused, before the seek: what the new log receives
    before the consumer reads it."""
    tp = TopicPartition(topic, 0)
    for _ in range(240):
        member = getattr(consumer._subscriber, "consumer", None)
        if member is not None and tp in member.assignment():
            member.pause(tp)
            if meanwhile is not None:
                await meanwhile()
                meanwhile = None
            with contextlib.suppress(Exception):  # a rebalance still settling: try again
                member.seek(tp, offset)
                await member.commit({tp: offset})
                member.resume(tp)
                return
        await asyncio.sleep(0.25)
    raise AssertionError("the consumer never rejoined its group on the new broker")


async def restart_under(
    infra: Endpoints,
    tansu: Tansu,
    unique: str,
    *,
    new_count: int,
    burst_first: bool = False,
) -> tuple[list[str], list[str]]:
    """OLD events handled, the broker killed and started again, the consumer stranded at its
    old position, `new_count` new events published (before the consumer reads the new log when
    `burst_first`, and then the broker is marked); the new events sent and those handled."""
    topic = f"aln.restart{unique}.v1"
    await tansu.create(topic)
    engine = await fresh_schema(infra.database_url, f"r_{unique}")
    handled: list[str] = []

    async def on_case_opened(
        session: AsyncSession, envelope: CloudEvent, event: CaseOpened
    ) -> None:
        handled.append(event.case_id)

    keys = Keys("referral", producers={topic: frozenset({"referral"})})
    broker = make_broker(tansu.bootstrap)
    consumer = IdempotentConsumer(
        topic=topic,
        group_id=f"g-{unique}",
        engine=engine,
        broker=broker,
        handlers={CaseOpened: on_case_opened},
        verifier=keys.verifier,
    )
    consumer.attach(broker)
    await broker.start()
    # The runtime starts both watches for every service on the embedded broker.
    watches = [
        asyncio.create_task(consumer.watch_for_lost_log()),
        asyncio.create_task(watch_broker_epoch(tansu.bootstrap, [consumer])),
    ]

    async def publish(case_id: str) -> None:
        ce = wrap(opened(case_id), event_id=f"e-{case_id}", source="/t", subject=case_id)
        await broker.publish(keys.signed(ce, by="referral"), topic, key=case_id.encode())

    new = [f"new-{i}" for i in range(new_count)]

    async def publish_new() -> None:
        for case_id in new:
            await publish(case_id)

    try:
        for i in range(OLD):
            await publish(f"old-{i}")
        await eventually(lambda: _async(len(handled)), lambda n: n == OLD, within=60)
        await asyncio.sleep(1)  # the epoch watch has read the first broker's mark
        tansu.kill()
        await asyncio.sleep(1)
        tansu.start()
        if burst_first:
            await tansu.create(topic, mark=False)
            await strand_at(consumer, topic, OLD, meanwhile=publish_new)
            await mark_broker_epoch(tansu.bootstrap)  # as the stack does once topics exist
        else:
            await tansu.create(topic)
            await strand_at(consumer, topic, OLD)  # the in-flight ack's commit
            await publish_new()

        async def seen() -> list[str]:
            return [c for c in handled if c.startswith("new-")]

        got = await eventually(seen, lambda s: sorted(s) == sorted(new), within=60, every=0.5)
        return new, got
    finally:
        for watch in watches:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await broker.stop()
        await engine.dispose()


async def test_after_a_broker_restart_the_consumer_reads_the_new_log_from_its_start(
    infra: Endpoints, tansu: Tansu, unique: str
) -> None:
    # The new log ends below the old position: the position past the end gives it away.
    new, got = await restart_under(infra, tansu, unique, new_count=OLD // 2, burst_first=False)
    assert sorted(got) == sorted(new), f"lost after the restart: {set(new) - set(got)}"


async def test_a_new_log_longer_than_the_old_position_is_read_from_its_start(
    infra: Endpoints, tansu: Tansu, unique: str
) -> None:
    # The new log has grown past the old position before the consumer reads it: only the
    # broker's new epoch mark says that events new-0 to new-11 were never handled.
    new, got = await restart_under(infra, tansu, unique, new_count=2 * OLD, burst_first=True)
    assert sorted(got) == sorted(new), f"lost after the restart: {set(new) - set(got)}"
