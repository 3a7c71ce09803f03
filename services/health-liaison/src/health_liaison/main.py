"""Composition of the health-liaison service: the DECLO inbox, the board timeliness view and
the FHIR R4 endpoint, fed by the journey's health events."""

from pathlib import Path

from health_liaison.consumers import consumers
from health_liaison.http import ROUTERS
from llwybr_common.runtime import build_app

app = build_app(
    "health-liaison",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    consumers=consumers,
)
