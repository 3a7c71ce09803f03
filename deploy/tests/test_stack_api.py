"""The Python API test fixtures use: infrastructure only, an external endpoint passed through.

Async on purpose: fixtures call the sync API from inside a running event loop.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llwybr.components import PORTS
from llwybr.stack import Stack, free_port_base, port_free

pytestmark = pytest.mark.system


@pytest.fixture
def external_smtp(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """An SMTP sink the stack did not start, standing in for a production relay."""
    port = free_port_base(span=1)
    # fmt: off
    sink = subprocess.Popen([
        sys.executable, "-m", "llwybr.smtp_sink", "--port", str(port),
        "--dir", str(tmp_path / "external-mail"),
    ])
    # fmt: on
    try:
        yield port, sink
    finally:
        sink.terminate()
        sink.wait(timeout=10)


async def test_start_infra_uses_an_external_smtp_and_stops_only_its_own(
    tmp_path: Path, external_smtp: tuple[int, subprocess.Popen[bytes]]
) -> None:
    external_port, sink = external_smtp
    base = free_port_base()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLWYBR_")}
    env |= {"LLWYBR_SMTP_HOST": "127.0.0.1", "LLWYBR_SMTP_PORT": str(external_port)}
    stack = Stack(tmp_path / "home", base, environ=env)
    try:
        assert stack.embedded == ["postgres", "temporal", "kafka"]
        endpoints = stack.start_infra()
        assert endpoints.smtp_port == external_port
        assert "smtp" not in stack.record["processes"]
        assert port_free(base + PORTS["smtp"][1])  # the embedded sink's port stayed unused
        child_env = stack.component_env("referral")
        assert child_env["LLWYBR_SMTP_PORT"] == str(external_port)
        assert child_env["LLWYBR_KAFKA_BOOTSTRAP"] == f"127.0.0.1:{base + PORTS['kafka'][1]}"
        # The service runs as its schema's runtime role; migrations run as the owner.
        assert child_env["LLWYBR_DATABASE_URL"].startswith(
            "postgresql+asyncpg://referral_app@/llwybr"
        )
        assert child_env["LLWYBR_DATABASE_OWNER_URL"].startswith(
            "postgresql+asyncpg://llwybr_owner@/llwybr"
        )
        assert child_env["LLWYBR_SPAN_FILE"] == str(tmp_path / "home" / "logs" / "spans.jsonl")
        health = stack.status()["health"]
        infra = ("temporal", "kafka", "postgres", "smtp")
        assert {k: health[k] for k in infra} == dict.fromkeys(infra, "ok")
        assert health["referral"] == "not started"
    finally:
        stack.stop()
    assert sink.poll() is None  # an external endpoint is never stopped by the stack
    assert not (tmp_path / "home" / "stack.json").exists()
