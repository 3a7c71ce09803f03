"""The vague-outcome check, in Welsh and English: an outcome that names nothing to measure, no
baseline, no target or no date is flagged with each reason; wording that names a direction and
no number is flagged too, unless a numeric target says what will be measured."""

from datetime import date

import pytest

from idp.outcomes import OutcomeText, outcome_flags, vague_wording

pytestmark = pytest.mark.unit

BY = date(2027, 7, 16)


@pytest.mark.parametrize(
    "text",
    [
        "Improve confidence",
        "Develop better social skills",
        "Be happier at school",
        "Increase her understanding of number",
        "Gwella hyder",
        "Datblygu sgiliau cymdeithasol gwell",
        "Bod yn fwy hyderus yn y dosbarth",
        "Cynyddu ei ddealltwriaeth o rif",
        "Magu mwy o hyder wrth ddarllen",
    ],
)
def test_a_direction_with_no_number_is_vague(text: str) -> None:
    assert vague_wording(text)
    assert "vague-wording" in outcome_flags(OutcomeText(text))


@pytest.mark.parametrize(
    "text",
    [
        "Reads 40 words per minute on an unseen level 5 text",
        "Asks an adult for help without prompting in 4 of 5 lessons",
        "Darllen 40 gair y funud ar destun lefel 5",
        "Gofyn am help heb ei annog mewn 4 o bob 5 gwers",
        "Uses a visual timetable to move between lessons on his own",
    ],
)
def test_a_specific_result_is_not_vague(text: str) -> None:
    assert not vague_wording(text)


def test_each_missing_part_is_its_own_reason() -> None:
    assert outcome_flags(OutcomeText("Reads 40 words per minute")) == [
        "no-measure",
        "no-baseline",
        "no-target",
        "no-date",
    ]
    complete = OutcomeText(
        "Darllen yn annibynnol",
        measure="Geiriau cywir y funud",
        baseline="22 gair y funud",
        target="40 gair y funud",
        outcome_date=BY,
    )
    assert outcome_flags(complete) == []


def test_a_numeric_target_rescues_vague_wording_but_not_a_vague_target() -> None:
    def with_target(target: str) -> list[str]:
        return outcome_flags(
            OutcomeText(
                "Gwella hyder", measure="Boxall", baseline="38", target=target, outcome_date=BY
            )
        )

    assert with_target("55 ar broffil Boxall") == []
    assert with_target("mwy hyderus") == ["vague-wording"]
    assert with_target("   ") == ["no-target", "vague-wording"]
