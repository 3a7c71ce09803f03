"""Claim-check calls to the referral service, with this service's own credentials.

Learner details and the reason for referral never travel on Kafka; the board
fetches them when it opens a request. An unreachable referral service must not stop the board
seeing the request: every call answers None instead of failing.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from llwybr_common.claim_check import get_json
from llwybr_common.settings import Settings

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
        return await get_json(
            self._settings, caller=SERVICE, target="referral", path=path,
            transport=self._transport, wait_seconds=self._timeout,
        )  # fmt: skip
