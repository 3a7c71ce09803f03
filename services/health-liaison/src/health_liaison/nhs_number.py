"""NHS numbers as a board's system or the referral service may write them: spaces or hyphens
between the groups are dropped, then the shared check (ten digits, the last a modulus 11 check
digit) from `llwybr_contracts.identifiers` decides."""

import re

from llwybr_contracts.identifiers import nhs_number_problem


def normalise(value: str) -> str:
    """Digits only: '943 476 5919' and '943-476-5919' are the same number."""
    return re.sub(r"[\s-]", "", value)


def why_invalid(value: str) -> str | None:
    """A reason a person can act on, or None when the number is valid."""
    return nhs_number_problem(normalise(value))


def is_valid(value: str) -> bool:
    return why_invalid(value) is None
