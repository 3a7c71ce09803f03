"""Composition of the idp service. Placeholder: its own issue builds the domain."""

from pathlib import Path

from llwybr_common.runtime import build_app

app = build_app("idp", migrations=Path(__file__).parent / "migrations")
