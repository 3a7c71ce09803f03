"""The register of schools that backs routing (reference, name, authority, maintained or not,
language medium). The shipped register is illustrative; `LLWYBR_SCHOOLS_FILE` points at a real
one in the same CSV format."""

from dataclasses import dataclass
from functools import cache

from referral.registers import register_rows


@dataclass(frozen=True)
class School:
    ref: str
    name: str
    authority: str
    maintained: bool
    language_medium: str


@cache
def register() -> dict[str, School]:
    return {
        r["ref"]: School(
            r["ref"],
            r["name"],
            r["authority"],
            r["maintained"].lower() == "true",
            r["language_medium"],
        )
        for r in register_rows("schools.csv", "LLWYBR_SCHOOLS_FILE")
    }


def find_school(ref: str) -> School | None:
    return register().get(ref)
