"""Composition of the health-liaison service. Placeholder: its own issue builds the domain."""

from pathlib import Path

from llwybr_common.runtime import build_app

app = build_app("health-liaison", migrations=Path(__file__).parent / "migrations")
