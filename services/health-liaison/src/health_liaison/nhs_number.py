"""NHS numbers: ten digits, the last a modulus 11 check digit (NHS Data Dictionary)."""

import re

_DIGITS = re.compile(r"^\d{10}$")


def normalise(value: str) -> str:
    """Digits only: '943 476 5919' and '943-476-5919' are the same number."""
    return re.sub(r"[\s-]", "", value)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the remainder makes the number invalid.

    Weights 10 down to 2; 11 minus the remainder mod 11; 11 becomes 0; 10 is never issued.
    """
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(value: str) -> bool:
    number = normalise(value)
    if not _DIGITS.match(number):
        return False
    return check_digit(number[:9]) == int(number[9])


def why_invalid(value: str) -> str | None:
    """A reason a person can act on, or None when the number is valid."""
    number = normalise(value)
    if not _DIGITS.match(number):
        return "an NHS number has 10 digits"
    if not is_valid(number):
        return "the NHS number fails its check digit (modulus 11)"
    return None
