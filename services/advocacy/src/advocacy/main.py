"""Composition of the advocacy service. Placeholder: its own issue builds the domain."""

from pathlib import Path

from llwybr_common.runtime import build_app

app = build_app("advocacy", migrations=Path(__file__).parent / "migrations")
