"""Composition of the notifications service."""

from pathlib import Path

from llwybr_common.runtime import build_app
from notifications.api import router
from notifications.consumers import consumers

app = build_app(
    "notifications",
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    consumers=consumers,
)
