"""The seeded people of embedded mode (a CSV the stack ships), whom the sign-in page lists.

Illustrative only: production signs people in through its OIDC provider and never reads this."""

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Person:
    subject: str
    role: str
    scope: str
    name: str
    language: str  # cy, en or both

    @property
    def scopes(self) -> list[str]:
        return [self.scope] if self.scope else []


def load_people(path: Path | None) -> list[Person]:
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return [
            Person(
                subject=row["subject"],
                role=row["role"],
                scope=row["scope"],
                name=row["name"],
                language=row.get("language") or "both",
            )
            for row in rows
        ]
