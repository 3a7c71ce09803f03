"""A claim-check GET to another service's API with this service's own credential.

Personal details never travel on Kafka; a service that needs them fetches them. An unreachable
or refusing service must not fail the caller's request: the answer is None, logged with the
path (ids only, never personal data) and the reason.
"""

import logging
from typing import Any

import httpx

from llwybr_common.auth import service_token
from llwybr_common.settings import Settings

log = logging.getLogger(__name__)


async def get_json(
    settings: Settings,
    *,
    caller: str,
    target: str,
    path: str,
    transport: httpx.AsyncBaseTransport | None = None,
    wait_seconds: float = 3.0,
) -> dict[str, Any] | None:
    """`target`'s JSON object at `path`, asked as the service `caller`; None if it cannot say."""
    base = settings.service_urls.get(target)
    if not base:
        return None
    headers = {"Authorization": f"Bearer {service_token(settings, caller)}"}
    try:
        async with httpx.AsyncClient(
            base_url=base, transport=transport, timeout=wait_seconds
        ) as http:
            response = await http.get(path, headers=headers)
    except httpx.HTTPError as exc:
        log.warning(
            "%s service unreachable", target, extra={"path": path, "error": type(exc).__name__}
        )
        return None
    if response.status_code != 200:
        log.warning("%s service answered %s", target, response.status_code, extra={"path": path})
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
