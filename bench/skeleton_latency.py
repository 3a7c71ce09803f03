"""Referral intake and referral-to-notification, on the real embedded stack.

The path: POST /referrals -> the journey starts -> its first workflow task writes the journey's
outbox -> Kafka -> notifications records the in-app notice (two Kafka hops count the referral's
own CaseOpened, read by the bridge, beside it).

1. idle: the stack's CPU over 10 s with nothing to do (what the consumers' fetch wait costs);
2. paced: `--paced` referrals one at a time, 0.25 s apart: the time from sending the POST to
   the notification row being written (both clocks on this machine), with no queue in front;
3. loaded: N referrals (default 1,000), `--concurrency` at a time: intake latency, the same
   time to the notification, and sustained referrals per second (queueing included);
4. baseline, in the same run: raw aiokafka produce-to-consume of N messages of the same size
   on the same broker, its consumer with the fetch settings the services use on this broker.

Prints the figures and the ratios; asserts nothing.

    .venv/bin/python bench/skeleton_latency.py [--n 1000] [--concurrency 8] [--paced 100]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from stack_cpu import cpu_by_process

from llwybr.stack import Stack, free_port_base
from llwybr_common.auth import mint_token
from llwybr_common.connections import TANSU, consumer_options
from llwybr_common.settings import Settings
from llwybr_contracts.events import JourneyStarted

BODY: dict[str, Any] = {
    "learner": {"given_name": "Cerys", "family_name": "Jones", "date_of_birth": "2019-05-01"},
    "authority": "W06000015",
    "source": "parent",
    "received_on": "2026-11-16",
    "concern": "Speech and language",
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Run:
    latencies: list[float]  # POST sent -> notification written
    intake: list[float]  # POST round trip (workflow running, first clock known)
    throughput: float  # notifications per second over the run
    intake_rate: float  # referrals accepted per second
    done: int
    stages: dict[str, list[float]]  # per referral, the time spent in each stage of the path


async def pipeline(stack: Stack, n: int, concurrency: int, gap: float = 0.0) -> Run:
    sent: dict[str, float] = {}
    returned: dict[str, float] = {}
    intake: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    token = mint_token(
        Settings(home=stack.home), subject="bench", roles=["la-officer"], scopes=["la:W06000015"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=stack.url_of("referral"), timeout=60, headers=headers
    ) as http:

        async def one() -> None:
            body = {**BODY, "learner": {**BODY["learner"], "family_name": uuid.uuid4().hex}}
            async with gate:
                t0 = time.time()
                r = await http.post("/api/v1/referrals", json=body)
                r.raise_for_status()
                returned[r.json()["case_id"]] = time.time()
                intake.append(time.time() - t0)
                sent[r.json()["case_id"]] = t0
                await asyncio.sleep(gap)

        start = time.time()
        await asyncio.gather(*(one() for _ in range(n)))
        intake_rate = n / (time.time() - start)
    socket_dir = stack.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    conn = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    try:
        deadline = time.time() + 300
        while True:
            rows = await conn.fetch(
                "SELECT case_id, created_at FROM notifications.notifications "
                "WHERE case_id = ANY($1::text[])",
                list(sent),
            )
            if len(rows) >= n or time.time() > deadline:
                break
            await asyncio.sleep(0.5)
        outbox = await conn.fetch(
            "SELECT key, created_at, sent_at FROM journey.outbox "
            "WHERE key = ANY($1::text[]) AND event_type = $2",
            list(sent),
            JourneyStarted.cloudevent_type(),
        )
    finally:
        await conn.close()
    latencies = [r["created_at"].timestamp() - sent[r["case_id"]] for r in rows]
    end = max(r["created_at"].timestamp() for r in rows)
    written = {r["case_id"]: r["created_at"].timestamp() for r in rows}
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for o in outbox:
        case, made, out = o["key"], o["created_at"].timestamp(), o["sent_at"]
        if case not in written or out is None:
            continue
        for stage, seconds in zip(
            STAGES,
            (
                returned[case] - sent[case],
                made - returned[case],
                out.timestamp() - made,
                written[case] - out.timestamp(),
            ),
            strict=True,
        ):
            stages[stage].append(seconds)
    return Run(latencies, intake, len(rows) / (end - start), intake_rate, len(rows), stages)


STAGES = (
    "POST to 201 (case committed, journey started, first clock counted)",
    "201 to JourneyStarted in the journey's outbox (workflow task, setup)",
    "outbox row to published (relay woken, broker confirmed)",
    "published to notification written (Kafka hop, handler)",
)


async def baseline(bootstrap: str, n: int, size: int) -> tuple[list[float], float]:
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", **consumer_options(TANSU)
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await consumer.start()
    await producer.start()
    got: list[float] = []
    payload = b"x" * size

    async def consume() -> None:
        async for record in consumer:
            got.append(time.time() - int.from_bytes(record.key or b"", "big") / 1e6)
            if len(got) >= n:
                return

    reader = asyncio.create_task(consume())
    start = time.time()
    for i in range(n):
        key = int(time.time() * 1e6).to_bytes(8, "big")
        await producer.send_and_wait(topic, payload, key=key)
        del i
    await asyncio.wait_for(reader, 120)
    elapsed = time.time() - start
    await producer.stop()
    await consumer.stop()
    return got, n / elapsed


def idle_cpu(stack: Stack, seconds: float = 10.0) -> dict[str, float]:
    """Per process, the share of one core used over `seconds` with no work arriving."""
    before = cpu_by_process(stack)
    time.sleep(seconds)
    return {k: (v - before.get(k, 0.0)) / seconds for k, v in cpu_by_process(stack).items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--paced", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llwybr-bench-") as home:
        stack = Stack(home, free_port_base())
        try:
            t0 = time.time()
            endpoints = stack.start_infra()
            stack.start_components(["referral", "notifications", "worker", "bridge"])
            print(f"stack up in {time.time() - t0:.1f} s")
            asyncio.run(pipeline(stack, 20, 4))  # warm-up: joins, pools, first workflows
            time.sleep(3)  # let the warm-up's work finish
            idle = idle_cpu(stack)
            paced = asyncio.run(pipeline(stack, args.paced, 1, gap=0.25))
            run = asyncio.run(pipeline(stack, args.n, args.concurrency))
            envelope_size = 700  # bytes of a CaseOpened / JourneyStarted envelope, measured
            base_lat, base_tput = asyncio.run(baseline(endpoints.kafka, args.n, envelope_size))
        finally:
            stack.stop()
    ms = [x * 1000 for x in run.latencies]
    intake_ms = [x * 1000 for x in run.intake]
    base_ms = [x * 1000 for x in base_lat]
    tput = run.throughput
    print(
        f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, n={args.n}, concurrency={args.concurrency};"
        f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    wait = consumer_options(TANSU)["fetch_max_wait_ms"]
    print(f"idle CPU over 10 s (consumers' fetch wait {wait} ms), % of one core:")
    for name, share in sorted(idle.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<40} {share * 100:5.1f}")
    print(f"  {'all':<40} {sum(idle.values()) * 100:5.1f}")
    paced_ms = [x * 1000 for x in paced.latencies]
    print(
        f"paced ({args.paced} referrals one at a time): POST -> notification median "
        f"{statistics.median(paced_ms):.1f} ms, p99 {pct(paced_ms, 99):.1f} ms "
        f"({paced.done}/{args.paced} recorded); intake median "
        f"{statistics.median(paced.intake) * 1000:.1f} ms"
    )
    print("  where the paced referrals' time goes, median (p90) ms:")
    for stage, seconds in paced.stages.items():
        if seconds:
            ms_ = [x * 1000 for x in seconds]
            print(f"    {statistics.median(ms_):6.1f} ({pct(ms_, 90):6.1f})  {stage}")
    print(
        f"intake (POST -> workflow running, first clock known): median "
        f"{statistics.median(intake_ms):.1f} ms, p99 {pct(intake_ms, 99):.1f} ms, "
        f"sustained {run.intake_rate:.1f} referrals/s"
    )
    print(f"referral POST -> notification: {run.done}/{args.n} recorded")
    print(
        f"  median {statistics.median(ms):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
        f"throughput {tput:.1f} referrals/s"
    )
    print(
        f"baseline aiokafka produce->consume ({envelope_size} B): median "
        f"{statistics.median(base_ms):.2f} ms, p99 {pct(base_ms, 99):.2f} ms, {base_tput:.0f} msg/s"
    )
    base_median = statistics.median(base_ms)
    print(
        f"ratios (pipeline / baseline): paced median latency "
        f"x{statistics.median(paced_ms) / base_median:.0f}; loaded median latency "
        f"x{statistics.median(ms) / base_median:.0f}, "
        f"p99 x{pct(ms, 99) / pct(base_ms, 99):.0f}, throughput x{tput / base_tput:.3f}"
    )
    print("target (issue 17): referral to notification recorded, median under 100 ms")


if __name__ == "__main__":
    main()
