"""Referral intake on the real embedded stack, beside Temporal's own floor (issue 17, target 1).

Starts a private stack (PostgreSQL, Temporal dev server, Tansu; referral, worker, bridge), then
in the same process and on the same Temporal server, at the same concurrency:

1. baseline "plain start": N starts of an empty workflow (an in-process worker runs it);
2. baseline "update-with-start": N update-with-start of the same empty workflow, waiting for
   the update's answer (what intake would cost if it asked the new workflow for its clock);
3. intake: N `POST /api/v1/referrals` to 201 (the case committed, its journey started, the
   first clock counted on the journey's calendars: docs/rules.md, "The first clock at intake");
4. sustained: referrals posted at the same concurrency for `--seconds`, referrals per second.

Prints p50/p99/throughput of each and intake's ratios to the baselines, how many 201s carried
a due date, and the load average; asserts nothing.

    .venv/bin/python bench/intake.py [--n 400] [--concurrency 8] [--seconds 60] [--port-base N]
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import psutil
from stack_cpu import cpu_by_process
from temporalio import workflow
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from llwybr.stack import Stack, free_port_base
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings

QUEUE = "bench-intake-baseline"
WARM_UP = 30  # referrals posted before the burst, not timed
BODY: dict[str, Any] = {
    "learner": {"given_name": "Cerys", "family_name": "Jones", "date_of_birth": "2019-05-01"},
    "authority": "W06000015",
    "school": {"ref": "6812345"},
    "source": "school",
    "received_on": "2026-11-16",
    "concern": "Speech and language",
}


@workflow.defn(sandboxed=False)  # defined in __main__, which the sandbox cannot re-import
class Empty:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done, timeout=timedelta(minutes=10))

    @workflow.update
    async def ask(self) -> str:
        return "ok"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Figures:
    def __init__(self, name: str, latencies: list[float], elapsed: float) -> None:
        self.name, self.ms = name, [x * 1000 for x in latencies]
        self.rate = len(latencies) / elapsed

    @property
    def p50(self) -> float:
        return pct(self.ms, 50)

    @property
    def p99(self) -> float:
        return pct(self.ms, 99)

    def line(self) -> str:
        return f"{self.name:<22} p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms  {self.rate:6.1f}/s"


async def timed(
    n: int, concurrency: int, one: Callable[[], Awaitable[None]]
) -> tuple[list[float], float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def each() -> None:
        async with gate:
            t0 = time.perf_counter()
            await one()
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(each() for _ in range(n)))
    return latencies, time.perf_counter() - start


async def baselines(address: str, n: int, concurrency: int) -> tuple[Figures, Figures]:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    async with Worker(client, task_queue=QUEUE, workflows=[Empty]):

        async def plain() -> None:
            await client.start_workflow(Empty.run, id=f"bench-{uuid.uuid4()}", task_queue=QUEUE)

        async def with_start() -> None:
            start = WithStartWorkflowOperation(
                Empty.run, id=f"bench-{uuid.uuid4()}", task_queue=QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )  # fmt: skip
            await client.execute_update_with_start_workflow(
                Empty.ask, start_workflow_operation=start
            )

        await timed(20, concurrency, plain)  # warm-up
        await timed(20, concurrency, with_start)
        started = Figures("plain workflow start", *await timed(n, concurrency, plain))
        updated = Figures("update-with-start", *await timed(n, concurrency, with_start))
    return started, updated


async def intake(
    stack: Stack, n: int, concurrency: int, seconds: float
) -> tuple[Figures, Figures, int, int]:
    token = mint_token(
        Settings(home=stack.home), subject="bench", roles=["la-officer"], scopes=["la:W06000015"]
    )
    counted = [0, 0]  # 201s with a due date, all 201s
    async with httpx.AsyncClient(
        base_url=stack.url_of("referral"), timeout=60,
        headers={"Authorization": f"Bearer {token}"},
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    ) as http:  # fmt: skip

        async def one() -> None:
            body = {**BODY, "learner": {**BODY["learner"], "family_name": uuid.uuid4().hex}}
            r = await http.post("/api/v1/referrals", json=body)
            r.raise_for_status()
            counted[1] += 1
            counted[0] += r.json()["clock"]["due"] is not None

        await timed(WARM_UP, concurrency, one)  # pools, the calendars' first fetch
        counted[:] = [0, 0]
        burst = Figures("intake (POST to 201)", *await timed(n, concurrency, one))
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                await one()
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        sustained = Figures(
            f"intake, {seconds:.0f} s sustained", latencies, time.perf_counter() - start
        )
    return burst, sustained, counted[0], counted[1]


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each stack process and of this one (the bench's HTTP client)."""
    me = psutil.Process().cpu_times()
    return {**cpu_by_process(stack), "bench client": me.user + me.system}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port-base", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llwybr-bench-") as home:
        stack = Stack(home, args.port_base or free_port_base())
        try:
            t0 = time.time()
            endpoints = stack.start_infra()
            stack.start_components(["referral", "worker", "bridge"])
            print(f"stack up in {time.time() - t0:.1f} s; load average {os.getloadavg()}")
            plain, uws = asyncio.run(baselines(endpoints.temporal, args.n, args.concurrency))
            before = cpu_seconds(stack)
            burst, sustained, with_due, total = asyncio.run(
                intake(stack, args.n, args.concurrency, args.seconds)
            )
            spent = {k: v - before.get(k, 0.0) for k, v in cpu_seconds(stack).items()}
        finally:
            stack.stop()
    print(f"\nconcurrency {args.concurrency}, n {args.n}; load average after {os.getloadavg()}")
    for f in (plain, uws, burst, sustained):
        print(f.line())
    print(f"201s with the first due date: {with_due} of {total}")
    print(
        f"intake / plain start: p50 {burst.p50 / plain.p50:.2f}x, p99 {burst.p99 / plain.p99:.2f}x,"
        f" rate {burst.rate / plain.rate:.2f}x"
    )
    print(
        f"intake / update-with-start: p50 {burst.p50 / uws.p50:.2f}x, p99 {burst.p99 / uws.p99:.2f}x,"
        f" rate {burst.rate / uws.rate:.2f}x"
    )
    posted = total + WARM_UP  # the CPU was counted from before the warm-up
    print(f"CPU per referral (ms), by process, over all {posted} referrals posted:")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<24} {seconds * 1000 / posted:7.1f}")
    print(f"  {'all':<24} {sum(spent.values()) * 1000 / posted:7.1f} (2 cores give 2,000 ms/s)")
    print("targets (issue 17): p50 < 40 ms, p99 < 150 ms, >= 100 referrals/s sustained for 60 s")


if __name__ == "__main__":
    main()
