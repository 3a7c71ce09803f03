"""One updatable timer (the shape of temporalio samples-python `updatable_timer`): an object
holding a deadline that can move. `sleep()` waits with `workflow.wait_condition(...,
timeout=...)` and returns when the deadline passes or when `move()` says it may have moved, so a
pause, resume, lift or new fact changes the wait at once instead of after the old deadline.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow


def _never() -> bool:
    return False


class UpdatableTimer:
    def __init__(self) -> None:
        self.deadline: datetime | None = None
        self._moved = False

    def move(self, deadline: datetime | None = None) -> None:
        """The facts behind the deadline changed: a sleeper wakes and works it out again."""
        if deadline is not None:
            self.deadline = deadline
        self._moved = True

    async def sleep(self, until: Callable[[], bool] = _never) -> None:
        """Wait for the deadline (None: until moved), a move, or `until()`. A deadline already
        past returns at once, without a timer."""
        now = workflow.now()
        timeout = None if self.deadline is None else self.deadline - now
        if timeout is not None and timeout <= timedelta(0):
            return
        self._moved = False
        try:
            await workflow.wait_condition(lambda: self._moved or until(), timeout=timeout)
        except TimeoutError:
            pass
