"""NHS number check digits (modulus 11)."""

import pytest

from health_liaison.nhs_number import check_digit, is_valid, why_invalid

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_numbers(number: str) -> None:
    assert is_valid(number) and why_invalid(number) is None


@pytest.mark.parametrize("number", ["9434765918", "123456789", "12345678901", "94347659AB", ""])
def test_invalid_numbers(number: str) -> None:
    assert not is_valid(number) and why_invalid(number)


def test_remainder_one_gives_no_valid_number() -> None:
    # 11 - 1 = 10 is never a check digit: every number with these nine digits is invalid.
    nine = next(f"{n:09d}" for n in range(100000000, 100001000) if check_digit(f"{n:09d}") is None)
    assert not any(is_valid(nine + str(d)) for d in range(10))


def test_remainder_zero_gives_zero() -> None:
    nine = next(f"{n:09d}" for n in range(100000000, 100001000) if check_digit(f"{n:09d}") == 0)
    assert is_valid(nine + "0")
