"""Claim-check calls to the referral service, with this service's own credentials: the family's
preferred language for a plan's document (learner details never travel on Kafka). An
unreachable referral service answers None: the document is then given in both languages,
Welsh first."""

import httpx

from llwybr_common.claim_check import get_json
from llwybr_common.settings import Settings

SERVICE = "idp"


class ReferralDirectory:
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

    async def preferred_language(self, case_id: str) -> str | None:
        body = await get_json(
            self._settings,
            caller=SERVICE,
            target="referral",
            path=f"/api/v1/cases/{case_id}",
            transport=self._transport,
            wait_seconds=self._timeout,
        )
        learner = body.get("learner") if body else None
        chosen = learner.get("preferred_language") if isinstance(learner, dict) else None
        return chosen if chosen in ("cy", "en", "both") else None
