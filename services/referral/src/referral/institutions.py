"""The register of further education institutions in Wales (UKPRN, names in English and
Welsh, the authority of the main campus, whether the UKPRN is verified). An FEI decides and
maintains for its students (Act s.11), named by its UKPRN. The shipped register's UKPRNs are
illustrative (`verified` false); `LLWYBR_FEIS_FILE` points at a real one in the same format."""

import csv
import io
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Institution:
    ukprn: str
    name_en: str
    name_cy: str
    authority: str
    verified: bool


@cache
def register() -> dict[str, Institution]:
    path = os.environ.get("LLWYBR_FEIS_FILE")
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else (resources.files("referral") / "data" / "feis.csv").read_text(encoding="utf-8")
    )
    rows = csv.DictReader(
        io.StringIO("".join(x for x in text.splitlines(True) if not x.startswith("#")))
    )
    return {
        r["ukprn"]: Institution(
            r["ukprn"],
            r["name_en"],
            r["name_cy"],
            r["authority"],
            r["verified"].lower() == "true",
        )
        for r in rows
    }


def find_institution(ukprn: str) -> Institution | None:
    return register().get(ukprn.strip())
