"""The register of schools that backs routing (reference, name, authority, maintained or not,
language medium). The shipped register is illustrative; `LLWYBR_SCHOOLS_FILE` points at a real
one in the same CSV format."""

import csv
import io
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class School:
    ref: str
    name: str
    authority: str
    maintained: bool
    language_medium: str


@cache
def register() -> dict[str, School]:
    path = os.environ.get("LLWYBR_SCHOOLS_FILE")
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else (resources.files("referral") / "data" / "schools.csv").read_text(encoding="utf-8")
    )
    rows = csv.DictReader(
        io.StringIO("".join(x for x in text.splitlines(True) if not x.startswith("#")))
    )
    return {
        r["ref"]: School(
            r["ref"],
            r["name"],
            r["authority"],
            r["maintained"].lower() == "true",
            r["language_medium"],
        )
        for r in rows
    }


def find_school(ref: str) -> School | None:
    return register().get(ref)
