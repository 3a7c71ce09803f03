"""Schemathesis over every service's OpenAPI document, with a valid token of a role that may
use it: no generated input may cause a 5xx (the gate and problem+json answer the rest)."""

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from llwybr.stack import Stack

pytestmark = pytest.mark.system

# (service, role, scope): a caller each service answers in full.
CALLERS = [
    ("referral", "la-officer", "la:W06000015"),
    ("health-liaison", "declo", "board:W11000029"),
    ("health-liaison", "la-officer", "la:W06000015"),
    ("notifications", "la-officer", "la:W06000015"),
    ("idp", "la-officer", "la:W06000015"),
    ("insight", "la-officer", "la:W06000015"),
    ("insight", "wg-analyst", "wales"),
]


@pytest.mark.parametrize(("service", "role", "scope"), CALLERS)
async def test_no_generated_request_causes_a_server_error(
    running: Stack, token: Callable[..., str], service: str, role: str, scope: str
) -> None:
    st = Path(sys.executable).parent / "st"
    args = [str(st), "run", f"{running.url_of(service)}/openapi.json"]
    args += ["--checks", "not_a_server_error", "--max-examples", "10", "--generation-deterministic"]
    # A plan's PDF takes seconds to render when the other worker's stack loads the machine.
    args += ["--request-timeout", "60"]
    args += ["--header", f"Authorization:Bearer {token(role, scope)}"]
    out = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "passed" in out.stdout
