"""Claim-check calls to the referral service, with this service's own credentials.

Learner details and the reason for referral never travel on Kafka; the board
fetches them when it opens a request. An unreachable referral service must not stop the board
seeing the request: every call answers None instead of failing.
"""

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from llwybr_common.auth import service_token
from llwybr_common.settings import Settings

log = logging.getLogger(__name__)

SERVICE = "health-liaison"


@dataclass(frozen=True)
class LearnerRecord:
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    nhs_number: str | None


class ReferralDirectory:
    """The referral service's claim-check endpoints."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 3.0,
    ) -> None:
        self._settings = settings
        self._base = settings.service_urls.get("referral")
        self._transport = transport
        self._timeout = timeout

    async def learner(self, case_id: str) -> LearnerRecord | None:
        body = await self._get(f"/api/v1/cases/{case_id}/learner")
        if body is None:
            return None
        dob = body.get("date_of_birth")
        return LearnerRecord(
            given_name=body.get("given_name"),
            family_name=body.get("family_name"),
            date_of_birth=date.fromisoformat(dob) if dob else None,
            nhs_number=body.get("nhs_number"),
        )

    async def referral_reason(self, case_id: str, request_id: str) -> str | None:
        body = await self._get(f"/api/v1/cases/{case_id}/health-requests/{request_id}")
        reason = body.get("reason") if body else None
        return reason if isinstance(reason, str) else None

    async def _get(self, path: str) -> dict[str, Any] | None:
        if not self._base:
            return None
        headers = {"Authorization": f"Bearer {service_token(self._settings, SERVICE)}"}
        try:
            async with httpx.AsyncClient(
                base_url=self._base, transport=self._transport, timeout=self._timeout
            ) as http:
                response = await http.get(path, headers=headers)
        except httpx.HTTPError as exc:
            # The path holds ids only; no personal data in logs.
            log.warning(
                "referral service unreachable", extra={"path": path, "error": type(exc).__name__}
            )
            return None
        if response.status_code != 200:
            log.warning("referral service answered %s", response.status_code, extra={"path": path})
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
