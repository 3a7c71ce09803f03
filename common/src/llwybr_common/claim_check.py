"""A claim-check GET to another service's API with this service's own credential.

Personal details never travel on Kafka; a service that needs them fetches them. `fetch` tells
apart the three answers a caller must treat differently: the record (`Found`), no such record
(`Missing`, a 404) and no answer now (`NoAnswer`: unreachable, failing, or not configured), each
logged with the path (ids only, never personal data) and the reason. `get_json` is for callers
that carry on without the answer.
"""

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from llwybr_common.auth import service_token
from llwybr_common.http_client import service_client
from llwybr_common.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    body: dict[str, Any]


@dataclass(frozen=True)
class Missing:
    """The other service has no such record (404)."""


@dataclass(frozen=True)
class NoAnswer:
    """The other service cannot say now; `reason` is safe to log and to store."""

    reason: str


Answer = Found | Missing | NoAnswer


async def fetch(
    settings: Settings,
    *,
    caller: str,
    target: str,
    path: str,
    transport: httpx.AsyncBaseTransport | None = None,
    wait_seconds: float = 3.0,
) -> Answer:
    """`target`'s JSON object at `path`, asked as the service `caller`."""
    base = settings.service_urls.get(target)
    if not base:
        return NoAnswer(f"{target}-not-configured")
    headers = {"Authorization": f"Bearer {service_token(settings, caller)}"}
    try:
        async with service_client(base, transport=transport, timeout=wait_seconds) as http:
            response = await http.get(path, headers=headers)
    except httpx.HTTPError as exc:
        log.warning(
            "%s service unreachable", target, extra={"path": path, "error": type(exc).__name__}
        )
        return NoAnswer(f"{target}-{type(exc).__name__}")
    if response.status_code == 404:
        return Missing()
    if response.status_code != 200:
        log.warning("%s service answered %s", target, response.status_code, extra={"path": path})
        return NoAnswer(f"{target}-{response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        log.warning("%s service answered no JSON object", target, extra={"path": path})
        return NoAnswer(f"{target}-bad-answer")
    return Found(body)


async def get_json(
    settings: Settings,
    *,
    caller: str,
    target: str,
    path: str,
    transport: httpx.AsyncBaseTransport | None = None,
    wait_seconds: float = 3.0,
) -> dict[str, Any] | None:
    """`target`'s JSON object at `path`; None if there is none or it cannot say now."""
    answer = await fetch(
        settings, caller=caller, target=target, path=path, transport=transport,
        wait_seconds=wait_seconds,
    )  # fmt: skip
    return answer.body if isinstance(answer, Found) else None
