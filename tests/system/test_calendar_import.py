"""`llwybr calendar import` with a stack running announces `CalendarChanged` on Kafka."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from llwybr.stack import Stack
from llwybr_contracts import topics

pytestmark = pytest.mark.system

FIXTURE = Path(__file__).parents[2] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"
POWYS = "W06000023"


async def test_import_publishes_calendar_changed_keyed_by_authority(running: Stack) -> None:
    env = {**os.environ, "LLWYBR_HOME": str(running.home)}
    env.pop("LLWYBR_DATABASE_URL", None)
    args = [sys.executable, "-m", "llwybr.cli", "calendar", "import", str(FIXTURE)]
    args += ["--authority", "Powys"]
    out = await asyncio.to_thread(
        subprocess.run, args, capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "CalendarChanged" in out.stdout
    version = out.stdout.split("version ")[1].split(",")[0]

    consumer = AIOKafkaConsumer(
        topics.JOURNEY,
        bootstrap_servers=running.endpoints.kafka,  # type: ignore[union-attr]
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                event = json.loads(record.value)
                # other tests of the session import calendars too (Cardiff's)
                calendar = event["type"] == "wales.aln.journey.calendar-changed.v1"
                if calendar and record.key == POWYS.encode():
                    break
    finally:
        await consumer.stop()
    assert record.key == POWYS.encode()
    assert event["subject"] == POWYS
    assert event["data"] == {"authority": POWYS, "school_ref": None, "calendar_version": version}
