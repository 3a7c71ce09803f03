"""The event ids a workflow has already acted on, so a redelivered fact changes nothing.

Bounded and ordered (the oldest id goes first): the bridge redelivers within minutes, never
months later. Pure: the journey's rules and the HealthInput child use the same object.
"""

from collections import deque
from collections.abc import Iterable


class SeenEvents:
    def __init__(self, ids: Iterable[str] = (), *, limit: int) -> None:
        self._limit = limit
        self._order: deque[str] = deque(list(ids)[-limit:])
        self._ids = set(self._order)

    def first_time(self, event_id: str) -> bool:
        """Remember `event_id`; False when it was already seen."""
        if event_id in self._ids:
            return False
        self._order.append(event_id)
        self._ids.add(event_id)
        if len(self._order) > self._limit:
            self._ids.discard(self._order.popleft())
        return True

    def ids(self) -> tuple[str, ...]:
        return tuple(self._order)
