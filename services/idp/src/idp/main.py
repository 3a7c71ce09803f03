"""Composition of the idp service: plans in the standard form, their versions, reviews,
transfers and ceasing, fed by the case's referral, journey and health events."""

from pathlib import Path

from idp.consumers import consumers
from idp.http import ROUTERS
from llwybr_common.runtime import build_app

app = build_app(
    "idp",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    consumers=consumers,
)
