"""Composition of the insight service: every topic kept in its own event table, timeliness and
statutory figures derived from it. It publishes nothing (no outbox relay)."""

from pathlib import Path

from insight.consumers import consumers
from insight.http import ROUTERS
from llwybr_common.runtime import build_app

app = build_app(
    "insight",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    consumers=consumers,
    publishes=False,
)
