"""Composition of the referral service."""

from pathlib import Path

from llwybr_common.runtime import build_app

from referral.api import router

app = build_app(
    "referral",
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    needs_temporal=True,
)
