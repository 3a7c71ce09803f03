"""Telling "a dependency is down" apart from "this message cannot be handled".

A consumer that meets an unreachable Temporal, PostgreSQL or claim-check API waits and tries the
same message again without spending its poison budget: that budget is for messages that fail on
their own, and spending it during an outage sends every message of the outage to the dead-letter
topic (cases with no journey and no clock until someone replays them by hand).
"""

from temporalio.service import RPCError, RPCStatusCode

from llwybr_common.availability import database_unreachable

# Statuses Temporal answers (or the SDK reports) while the server cannot be reached or is
# overloaded; every other status is about the request itself.
_TEMPORAL_DOWN = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)


class DependencyUnavailable(Exception):
    """Raised by a handler when something it needs cannot be reached right now
    (e.g. a claim-check answered 503 or not at all); the message is tried again later."""

    def __init__(self, dependency: str, detail: str = "") -> None:
        self.dependency = dependency
        super().__init__(f"{dependency} is unavailable" + (f": {detail}" if detail else ""))


def unavailable_dependency(error: BaseException) -> str | None:
    """The name of the dependency `error` says cannot be reached, or None for any other failure.

    Follows the chain of causes, so a wrapped connection error still counts as an outage.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = _classify(current)
        if name is not None:
            return name
        current = current.__cause__ or current.__context__
    return None


def _classify(error: BaseException) -> str | None:
    if isinstance(error, DependencyUnavailable):
        return error.dependency
    if isinstance(error, RPCError):
        return "temporal" if error.status in _TEMPORAL_DOWN else None
    if database_unreachable(error):  # one answer to "is PostgreSQL down", for HTTP and Kafka
        return "postgres"
    if isinstance(error, ConnectionError | TimeoutError):
        return "network"
    return None
