"""The advocacy providers a handoff may go to (Act s.69: independent advocacy), as data in
`providers.csv`; SNAP Cymru is the first."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "providers.csv"


@dataclass(frozen=True)
class Provider:
    provider: str  # the scope its advocates' tokens carry, e.g. advocacy:snap-cymru
    name_cy: str
    name_en: str


@cache
def providers() -> dict[str, Provider]:
    lines = [ln for ln in DATA.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return {row["provider"]: Provider(**row) for row in csv.DictReader(lines)}


def find_provider(provider: str) -> Provider | None:
    return providers().get(provider)
