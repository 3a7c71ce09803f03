"""Concurrent reads of one key share a round trip, and none is answered from a read that began
before it asked.

After `CalendarChanged`, 10,000 journeys load their setup within seconds and each asks the
store's stamp (has this authority's calendar changed?): one PostgreSQL query each. Here the
callers that arrive while a read is under way wait for the next read, which every one of them
shares; so an import committed before a caller asked is always seen (the stamp is a cache
key: a stale one would keep the old calendar), and the queries number a few per second.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    def __init__(self, read: Callable[[K], Awaitable[V]]) -> None:
        self._read = read
        self._next: dict[K, asyncio.Task[V]] = {}  # the read not begun yet, callers join it
        self._locks: dict[K, asyncio.Lock] = {}

    async def get(self, key: K) -> V:
        task = self._next.get(key)
        if task is None:
            task = self._next[key] = asyncio.get_running_loop().create_task(self._round(key))
        # shielded: one caller cancelled (an activity timed out) cancels no one else's read
        return await asyncio.shield(task)

    async def _round(self, key: K) -> V:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one read at a time per key: the previous one ends first
            del self._next[key]  # from here on, newcomers wait for the next read
            return await self._read(key)
