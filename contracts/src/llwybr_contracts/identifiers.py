"""Check digits of the learner identifiers services accept (shared value types): the Unique
Pupil Number and the NHS number."""

import re

# Unique Pupil Number: a check letter, then 12 characters (a temporary UPN ends in a letter).
# The check letter is the sum of characters 2-13 weighted 2..13, modulo 23, as a letter of this
# alphabet (I, O and S are never used); letters elsewhere take their index in it.
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(rf"^[{_UPN_ALPHABET}]\d{{11}}[0-9{_UPN_ALPHABET}]$")


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    total = 0
    for weight, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else _UPN_ALPHABET.index(char)
        total += weight * value
    return _UPN_ALPHABET[total % 23]


def upn_problem(upn: str) -> str | None:
    """None when valid, else why not."""
    if not _UPN.match(upn):
        return "a UPN is 13 characters: a check letter, 11 digits, then a digit or letter"
    if upn_check_letter(upn[1:]) != upn[0]:
        return "the UPN's check letter does not match its digits"
    return None


def nhs_number_problem(nhs_number: str) -> str | None:
    """None when valid, else why not (modulus 11, weights 10 to 2)."""
    digits = nhs_number.replace(" ", "")
    if not re.fullmatch(r"\d{10}", digits):
        return "an NHS number is 10 digits"
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return "the NHS number's check digit does not match"
    return None
