"""The referral service's journey claim-checks, called with this process's own service
credential: the referral service owns cases, the journey only asks (services never import each
other). An unreachable referral service, or one that refuses the credential, is an outage
(`DependencyUnavailable`), never a verdict on the message being handled."""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx

from llwybr_common.auth import service_token
from llwybr_common.dependencies import DependencyUnavailable
from llwybr_common.http_client import service_client
from llwybr_common.settings import Settings
from llwybr_contracts.journey import JourneyInput

REFERRAL = "referral"


class NoSuchCase(LookupError):
    """The referral service has no case with this id."""


class CaseDirectory:
    def __init__(
        self,
        settings: Settings,
        *,
        service: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._settings, self._service = settings, service
        self._base = settings.service_urls.get(REFERRAL)
        self._transport, self._timeout = transport, timeout

    async def journey_input(self, case_id: str) -> JourneyInput | None:
        """What the case's journey starts with; None when the case is closed (consent refused
        at intake: nothing to run). NoSuchCase when the referral service has no such case."""
        response = await self._get(f"/api/v1/cases/{case_id}/journey-input")
        if response.status_code == 404:
            raise NoSuchCase(case_id)
        if response.status_code == 409:
            return None
        return JourneyInput.model_validate_json(response.content)

    async def open_journey_inputs(self, opened_since: date) -> AsyncIterator[JourneyInput]:
        """Every case not closed that was opened on or after `opened_since`."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"opened_since": opened_since.isoformat(), "limit": 200}
            if after:
                params["after"] = after
            page = (await self._get("/api/v1/journey-inputs", params)).json()
            for item in page["items"]:
                yield JourneyInput.model_validate(item)
            after = page.get("next")
            if not after:
                return

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        if not self._base:
            # Shown in /readyz as what the consumer waits for, rather than trusting events.
            raise DependencyUnavailable(REFERRAL, "no URL in LLWYBR_SERVICE_URLS")
        headers = {"Authorization": f"Bearer {service_token(self._settings, self._service)}"}
        try:
            async with service_client(
                self._base, transport=self._transport, timeout=self._timeout
            ) as http:
                response = await http.get(path, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise DependencyUnavailable(REFERRAL, type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise DependencyUnavailable(REFERRAL, f"HTTP {response.status_code}")
        if response.status_code not in (200, 404, 409):
            raise RuntimeError(f"referral answered HTTP {response.status_code} for {path}")
        return response
