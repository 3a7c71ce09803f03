"""Composition of the advocacy service: consent records, handoffs to advocacy providers
(SNAP Cymru first), disagreements and Tribunal appeals."""

from pathlib import Path

from advocacy.http import ROUTERS
from llwybr_common.runtime import build_app

app = build_app("advocacy", migrations=Path(__file__).parent / "migrations", routers=ROUTERS)
