"""A Temporal dev server of a test's own, which the test may stop and start again (an outage),
keeping its workflows in a SQLite file across the restart."""

import asyncio
import signal
import subprocess
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from llwybr.stack import HOST, TEMPORAL_SQLITE, free_port_base, temporal_bin


class TemporalServer:
    def __init__(self, home: Path) -> None:
        self.db = home / "temporal.db"
        base = free_port_base(span=3)
        self.port, self._http, self._metrics = base, base + 1, base + 2
        self.address = f"{HOST}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # fmt: off
        self._proc = subprocess.Popen(
            [
                str(temporal_bin()), "server", "start-dev", "--headless", "--ip", HOST,
                "--port", str(self.port), "--http-port", str(self._http),
                "--metrics-port", str(self._metrics), "--db-filename", str(self.db), *TEMPORAL_SQLITE,
                "--log-level", "error",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # fmt: on

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    async def client(self, within: float = 30.0) -> Client:
        deadline = time.monotonic() + within
        while True:
            try:
                return await Client.connect(self.address, data_converter=pydantic_data_converter)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
