"""docs/rules.md, the project's statutory reference, agrees with what the clock runs: every rule
id has its own section and a row with its mark, and the authority/board table is the shipped
data. A rule added to the clock without its law written down fails here."""

import re
from pathlib import Path

import pytest

from llwybr_clock import RULES
from llwybr_clock.shipped import authorities, health_boards

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _row(rule_id: str) -> list[str]:
    for line in _text().splitlines():
        if line.startswith(f"| [`{rule_id}`]"):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no row for {rule_id} in section 1")


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_citable_section(rule_id: str) -> None:
    assert re.search(rf"^### {re.escape(rule_id)}$", _text(), re.MULTILINE)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_row_shows_its_limit_mark_and_source(rule_id: str) -> None:
    rule = RULES[rule_id]
    _, _, limit, _, _, _, mark, source = _row(rule_id)
    numbers = re.findall(r"\d+", limit)
    assert numbers[0] == str(rule.limit)
    if rule.extended_limit is not None:
        assert str(rule.extended_limit) in numbers
    assert mark == rule.basis.value
    assert source == rule.citation


def test_the_board_table_is_the_shipped_data() -> None:
    text = _text()
    boards = {b.ons_code: b for b in health_boards()}
    for authority in authorities():
        board = boards[authority.health_board_ons_code]
        row = next(
            line for line in text.splitlines() if f"({board.ons_code}, {board.ods_code})" in line
        )
        assert f"{authority.name_en} {authority.ons_code}" in row
    assert len(authorities()) == 22 and len(boards) == 7
