"""Composition of the referral service."""

from pathlib import Path

from llwybr_common.runtime import build_app
from referral import journey_claims
from referral.api import router
from referral.consumers import consumers

app = build_app(
    "referral",
    migrations=Path(__file__).parent / "migrations",
    routers=[router, journey_claims.router],
    consumers=consumers,
    needs_temporal=True,
)
