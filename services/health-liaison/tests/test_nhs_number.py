"""NHS number check digits (modulus 11), as this service reads them."""

import pytest

from health_liaison.nhs_number import is_valid, normalise, why_invalid

pytestmark = pytest.mark.unit


def remainder(nine: str) -> int:
    return sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_numbers(number: str) -> None:
    assert is_valid(number) and why_invalid(number) is None
    assert normalise(number).isdigit()


@pytest.mark.parametrize("number", ["9434765918", "123456789", "12345678901", "94347659AB", ""])
def test_invalid_numbers(number: str) -> None:
    assert not is_valid(number) and why_invalid(number)


def test_remainder_one_gives_no_valid_number() -> None:
    # 11 - 1 = 10 is never a check digit: every number with these nine digits is invalid.
    nine = next(f"{n:09d}" for n in range(100000000, 100001000) if remainder(f"{n:09d}") == 1)
    assert not any(is_valid(nine + str(d)) for d in range(10))


def test_remainder_zero_gives_zero() -> None:
    nine = next(f"{n:09d}" for n in range(100000000, 100001000) if remainder(f"{n:09d}") == 0)
    assert is_valid(nine + "0") and not is_valid(nine + "1")
