"""The register of further education institutions in Wales (UKPRN, names in English and
Welsh, the authority of the main campus, whether the UKPRN is verified). An FEI decides and
maintains for its students (Act s.11), named by its UKPRN. The shipped register's UKPRNs are
illustrative (`verified` false); `LLWYBR_FEIS_FILE` points at a real one in the same format."""

from dataclasses import dataclass
from functools import cache

from referral.registers import register_rows


@dataclass(frozen=True)
class Institution:
    ukprn: str
    name_en: str
    name_cy: str
    authority: str
    verified: bool


@cache
def register() -> dict[str, Institution]:
    return {
        r["ukprn"]: Institution(
            r["ukprn"],
            r["name_en"],
            r["name_cy"],
            r["authority"],
            r["verified"].lower() == "true",
        )
        for r in register_rows("feis.csv", "LLWYBR_FEIS_FILE")
    }


def find_institution(ukprn: str) -> Institution | None:
    return register().get(ukprn.strip())
