"""Claim-check calls to the referral service, with this service's own credentials: which
authority and school a case belongs to (so a caller's scope can be checked here) and its open
clocks (so a provider sees how long the family has to appeal).

Only ids, codes and dates are kept from the answer; the learner's details it also carries are
dropped at once. No such case is None; a referral service that cannot answer is 503 for a
step that needs the answer (`Unavailable`), and no clocks for the inbox.
"""

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from llwybr_common.auth import service_token
from llwybr_common.errors import Unavailable
from llwybr_common.settings import Settings

log = logging.getLogger(__name__)

SERVICE = "advocacy"


@dataclass(frozen=True)
class Clock:
    rule: str
    due: date | None
    status: str


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    authority: str  # the owning authority: the deciding one where it differs (looked after)
    school_ref: str | None
    clocks: tuple[Clock, ...]

    def clock(self, rule: str) -> Clock | None:
        return next((c for c in self.clocks if c.rule == rule), None)


def facts_of(body: dict[str, Any]) -> CaseFacts:
    clocks = tuple(
        Clock(
            rule=str(c["rule"]),
            due=date.fromisoformat(c["due"]) if c.get("due") else None,
            status=str(c.get("status", "")),
        )
        for c in body.get("clocks") or []
    )
    return CaseFacts(
        case_id=str(body["case_id"]),
        authority=str(body.get("deciding_authority") or body["authority"]),
        school_ref=body.get("school_ref"),
        clocks=clocks,
    )


class ReferralCases:
    """The referral service's case API, read with the `service` role."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._settings = settings
        self._base = settings.service_urls.get("referral")
        self._transport = transport
        self._timeout = timeout

    async def case(self, case_id: str) -> CaseFacts | None:
        """The case's scope and clocks; None when there is no such case."""
        if not self._base:
            raise Unavailable("dependency-unavailable")
        headers = {"Authorization": f"Bearer {service_token(self._settings, SERVICE)}"}
        try:
            async with httpx.AsyncClient(
                base_url=self._base, transport=self._transport, timeout=self._timeout
            ) as http:
                response = await http.get(f"/api/v1/cases/{case_id}", headers=headers)
        except httpx.HTTPError as exc:
            log.warning("referral service unreachable", extra={"error": type(exc).__name__})
            raise Unavailable("dependency-unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("referral service answered %s", response.status_code)
            raise Unavailable("dependency-unavailable")
        try:
            return facts_of(response.json())
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable("dependency-unavailable") from exc

    async def clocks(self, case_id: str) -> CaseFacts | None:
        """For display only: None when the referral service cannot answer."""
        try:
            return await self.case(case_id)
        except Unavailable:
            return None
