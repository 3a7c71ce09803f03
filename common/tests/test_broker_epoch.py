"""When the services rewind their consumers: only when the broker's mark changes, never while
the broker is down or slow (a read that brings no mark is no news). The real broker's restart
is in tests/integration/test_broker_restart.py."""

import asyncio
from collections.abc import Iterator

import pytest

from llwybr_common import broker_epoch

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
