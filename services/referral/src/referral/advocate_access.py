"""Whether an advocate may read a case, asked of the advocacy service (which owns consent
records and handoffs) with this service's own credentials, on every read: a withdrawal of
consent takes effect at the advocate's next request (Act s.69; docs/rules.md section 7).

Only a caller with the `advocate` role and an `advocacy:<provider>` scope is asked about. An
advocacy service that is not configured grants nothing; one that cannot answer is 503, never
a read.
"""

import logging
from dataclasses import dataclass

import httpx

from llwybr_common.auth import Principal, service_token
from llwybr_common.errors import Unavailable
from llwybr_common.http_client import service_client
from llwybr_common.settings import Settings
from llwybr_contracts.vocabulary import Role

log = logging.getLogger(__name__)

SERVICE = "referral"
# What the advocacy service answers for an advocate who had the case and no longer has: the
# 403 each becomes here. Any other answer ("none") is 404, as for a case out of scope.
REVOKED = {
    "consent-withdrawn": "advocacy.consent-withdrawn",
    "consent-expired": "advocacy.consent-expired",
    "handoff-ended": "advocacy.handoff-ended",
}


@dataclass(frozen=True)
class AdvocateGrant:
    access: str  # granted, consent-withdrawn, consent-expired, handoff-ended or none
    consent_id: str | None = None
    handoff_id: str | None = None

    @property
    def granted(self) -> bool:
        return self.access == "granted"


class AdvocacyDirectory:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 3.0,
    ) -> None:
        self._settings = settings
        self._base = settings.service_urls.get("advocacy")
        self._transport = transport
        self._timeout = timeout

    async def grant(self, principal: Principal, case_id: str) -> AdvocateGrant | None:
        """None for a caller who is not an advocate; else what the advocacy service says."""
        providers = sorted(principal.scoped("advocacy"))
        if not principal.has_role(Role.ADVOCATE) or not providers:
            return None
        if not self._base:
            return AdvocateGrant("none")
        answers = [await self._ask(case_id, principal.subject, f"advocacy:{p}") for p in providers]
        return next((a for a in answers if a.granted), None) or next(
            (a for a in answers if a.access in REVOKED), AdvocateGrant("none")
        )

    async def _ask(self, case_id: str, advocate: str, provider: str) -> AdvocateGrant:
        headers = {"Authorization": f"Bearer {service_token(self._settings, SERVICE)}"}
        params = {"case_id": case_id, "advocate": advocate, "provider": provider}
        try:
            async with service_client(
                self._base or "", transport=self._transport, timeout=self._timeout
            ) as http:
                response = await http.get(
                    "/api/v1/internal/advocate-access", params=params, headers=headers
                )
            response.raise_for_status()
            body = response.json()
            return AdvocateGrant(
                access=str(body["access"]),
                consent_id=body.get("consent_id"),
                handoff_id=body.get("handoff_id"),
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            # Ids only in the log; the read is refused, not allowed, when the owner is silent.
            log.warning("advocacy service did not answer", extra={"error": type(exc).__name__})
            raise Unavailable("dependency-unavailable") from exc
