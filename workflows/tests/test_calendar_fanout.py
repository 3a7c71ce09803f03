"""CalendarChanged fan-out: every listed journey is signalled, many at a time but never more
than the bound; a journey closed since the list is no failure; any other failure is raised
after the rest have been signalled (so the bridge retries, then dead-letters); and concurrent
stamp reads share a query without ever answering from one that began before they asked."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from temporalio.service import RPCError, RPCStatusCode

from llwybr_contracts.journey import SIGNAL_CALENDAR_CHANGED, CalendarChangedFact
from llwybr_workflows.calendar_fanout import FanOutIncomplete, signal_calendar_changed
from llwybr_workflows.shared_reads import SharedReads
from llwybr_workflows.signals import open_cases_query

pytestmark = pytest.mark.unit
FACT = CalendarChangedFact(event_id="cal-1", authority="W06000015", calendar_version="v2")


@dataclass
class Listed:
    id: str


class FakeClient:
    """Lists `ids` for the authority's query; a signal takes a moment; some ids fail."""

    def __init__(self, ids: list[str], fail: dict[str, RPCStatusCode] | None = None) -> None:
        self.ids = ids
        self.fail = fail or {}
        self.signalled: list[tuple[str, str, object]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.queries: list[str] = []

    async def list_workflows(self, query: str, page_size: int) -> AsyncIterator[Listed]:
        self.queries.append(query)
        for i in self.ids:
            yield Listed(i)

    def get_workflow_handle(self, workflow_id: str) -> "FakeHandle":
        return FakeHandle(self, workflow_id)


@dataclass
class FakeHandle:
    client: FakeClient
    workflow_id: str

    async def signal(self, name: str, payload: object) -> None:
        c = self.client
        c.in_flight += 1
        c.most_in_flight = max(c.most_in_flight, c.in_flight)
        try:
            await asyncio.sleep(0.001)
            status = c.fail.get(self.workflow_id)
            if status is not None:
                raise RPCError("refused", status, b"")
            c.signalled.append((self.workflow_id, name, payload))
        finally:
            c.in_flight -= 1


async def test_every_journey_of_the_authority_is_signalled_within_the_bound() -> None:
    client = FakeClient([f"case-{i}" for i in range(300)])
    sent = await signal_calendar_changed(client, FACT, in_flight=16)  # type: ignore[arg-type]
    assert sent == 300
    assert sorted(w for w, _, _ in client.signalled) == sorted(client.ids)
    assert {(n, p) for _, n, p in client.signalled} == {(SIGNAL_CALENDAR_CHANGED, FACT)}
    assert client.queries == [open_cases_query("W06000015")]
    assert 1 < client.most_in_flight <= 16


async def test_a_journey_closed_since_the_list_is_not_a_failure() -> None:
    client = FakeClient(["case-a", "case-b"], fail={"case-a": RPCStatusCode.NOT_FOUND})
    assert await signal_calendar_changed(client, FACT) == 1  # type: ignore[arg-type]


async def test_a_failed_signal_fails_the_fan_out_after_the_others_went() -> None:
    ids = [f"case-{i}" for i in range(50)]
    client = FakeClient(ids, fail={"case-7": RPCStatusCode.INTERNAL})
    with pytest.raises(FanOutIncomplete) as raised:
        await signal_calendar_changed(client, FACT, in_flight=8)  # type: ignore[arg-type]
    assert len(client.signalled) == 49  # every other journey has it; a retry is idempotent
    assert isinstance(raised.value.__cause__, RPCError)


async def test_temporal_unavailable_is_an_outage_the_consumer_waits_out() -> None:
    from llwybr_common.dependencies import unavailable_dependency

    client = FakeClient(["case-a"], fail={"case-a": RPCStatusCode.UNAVAILABLE})
    with pytest.raises(FanOutIncomplete) as raised:
        await signal_calendar_changed(client, FACT)  # type: ignore[arg-type]
    assert unavailable_dependency(raised.value) == "temporal"


async def test_callers_at_the_same_moment_share_one_read() -> None:
    reads = 0

    async def read(key: str) -> int:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return reads

    shared: SharedReads[str, int] = SharedReads(read)
    answers = await asyncio.gather(*(shared.get("W06000015") for _ in range(100)))
    assert reads <= 2
    assert set(answers) <= {1, 2}


async def test_a_caller_never_gets_a_read_that_began_before_it_asked() -> None:
    value = "old"
    started = asyncio.Event()

    async def read(key: str) -> str:
        seen = value  # what the query sees when it runs
        started.set()
        await asyncio.sleep(0.02)
        return seen

    shared: SharedReads[str, str] = SharedReads(read)
    first = asyncio.create_task(shared.get("k"))
    await started.wait()  # the first read is under way, on the old value
    value = "new"  # an import commits
    second = await shared.get("k")  # asked after the commit: must see it
    assert await first == "old"
    assert second == "new"
