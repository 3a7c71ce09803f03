"""Claim-check calls to the referral service, with this service's own credentials: which
authority and school a case belongs to (so a caller's scope can be checked here) and its open
clocks (so a provider sees how long the family has to appeal).

Only ids, codes and dates are kept from the answer; the learner's details it also carries are
dropped at once. No such case is None; a referral service that cannot answer is 503 for a
step that needs the answer (`Unavailable`), and no clocks for the inbox.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from llwybr_common.claim_check import Missing, NoAnswer, fetch
from llwybr_common.errors import Unavailable
from llwybr_common.settings import Settings

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
        self._transport = transport
        self._timeout = timeout

    async def case(self, case_id: str) -> CaseFacts | None:
        """The case's scope and clocks; None when there is no such case."""
        answer = await fetch(
            self._settings, caller=SERVICE, target="referral", path=f"/api/v1/cases/{case_id}",
            transport=self._transport, wait_seconds=self._timeout,
        )  # fmt: skip
        if isinstance(answer, Missing):
            return None
        if isinstance(answer, NoAnswer):
            raise Unavailable("dependency-unavailable")
        try:
            return facts_of(answer.body)
        except (ValueError, KeyError, TypeError) as exc:
            raise Unavailable("dependency-unavailable") from exc

    async def clocks(self, case_id: str) -> CaseFacts | None:
        """For display only: None when the referral service cannot answer."""
        try:
            return await self.case(case_id)
        except Unavailable:
            return None
