"""Referral intake and referral-to-notification, on the real embedded stack.

Posts N referrals (default 1,000, `--concurrency` at a time) to the referral service and
measures, per referral: intake latency (the POST's round trip, which returns once the case is
committed, its `case-<id>` workflow is running and has reported its first clock) and the time
from sending the POST to the in-app notification row being written (both clocks on this
machine); then sustained referrals per second. Beside it, in the same run, the baseline: raw
aiokafka produce-to-consume of N messages of the same size on the same broker. Prints the
figures and the ratios; asserts nothing.

    .venv/bin/python bench/skeleton_latency.py [--n 1000] [--concurrency 8]
"""

import argparse
import asyncio
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

from llwybr.stack import Stack, free_port_base
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings

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


async def pipeline(stack: Stack, n: int, concurrency: int) -> Run:
    sent: dict[str, float] = {}
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
                intake.append(time.time() - t0)
                sent[r.json()["case_id"]] = t0

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
    finally:
        await conn.close()
    latencies = [r["created_at"].timestamp() - sent[r["case_id"]] for r in rows]
    end = max(r["created_at"].timestamp() for r in rows)
    return Run(latencies, intake, len(rows) / (end - start), intake_rate, len(rows))


async def baseline(bootstrap: str, n: int, size: int) -> tuple[list[float], float]:
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llwybr-bench-") as home:
        stack = Stack(home, free_port_base())
        try:
            t0 = time.time()
            endpoints = stack.start_infra()
            stack.start_components(["referral", "notifications", "worker", "bridge"])
            print(f"stack up in {time.time() - t0:.1f} s")
            asyncio.run(pipeline(stack, 20, 4))  # warm-up: joins, pools, first workflows
            run = asyncio.run(pipeline(stack, args.n, args.concurrency))
            envelope_size = 700  # bytes of a CaseOpened / JourneyStarted envelope, measured
            base_lat, base_tput = asyncio.run(baseline(endpoints.kafka, args.n, envelope_size))
        finally:
            stack.stop()
    ms = [x * 1000 for x in run.latencies]
    intake_ms = [x * 1000 for x in run.intake]
    base_ms = [x * 1000 for x in base_lat]
    tput = run.throughput
    print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, n={args.n}, concurrency={args.concurrency}")
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
    print(
        f"ratios (pipeline / baseline): median latency x{statistics.median(ms) / statistics.median(base_ms):.0f}, "
        f"p99 x{pct(ms, 99) / pct(base_ms, 99):.0f}, throughput x{tput / base_tput:.3f}"
    )


if __name__ == "__main__":
    main()
