"""The IDP's pure rules: who maintains a plan, the summer rule of s.35, when the review falls
due, and the diff between two issued versions."""

from datetime import date

import pytest

from idp.rules import diff, maintainer_for, review_due, transfer_carries_plan

pytestmark = pytest.mark.unit


def test_the_maintaining_body_follows_the_deciding_body() -> None:
    school = maintainer_for(deciding_body="school", authority="W06000015", school_ref="6812345")
    assert (school.body, school.reason) == ("school:6812345", "follows-deciding-body")
    la = maintainer_for(
        deciding_body="local-authority", authority="W06000015", school_ref="6812345"
    )
    assert (la.body, la.authority) == ("la:W06000015", "W06000015")


@pytest.mark.parametrize(
    ("left_on", "registered_on", "carries"),
    [
        (date(2026, 7, 20), date(2026, 9, 7), True),  # over the summer, registered in September
        (date(2026, 7, 20), date(2026, 9, 30), True),  # the last day of September still counts
        (date(2026, 7, 20), date(2026, 10, 1), False),  # s.35(2)-(4): too late, no carry-over
        (date(2026, 11, 6), date(2027, 1, 11), True),  # a move in the year always carries
        (None, None, True),  # dates not given: an ordinary move
    ],
)
def test_the_summer_rule(left_on: date | None, registered_on: date | None, carries: bool) -> None:
    assert transfer_carries_plan(left_on, registered_on) is carries


def test_review_is_due_the_day_before_the_anniversary() -> None:
    assert review_due(date(2026, 11, 25)) == date(2027, 11, 24)
    assert review_due(date(2028, 2, 29)) == date(2029, 2, 28)  # Act ss.23-24, docs/rules.md


def test_diff_names_sections_and_items_added_removed_and_changed() -> None:
    item = {"item_id": "a", "outcome": "x", "measure": None}
    v1 = {"profile": {"important_to_me": "Pêl-droed"}, "provision": [item]}
    v2 = {
        "profile": {"important_to_me": "Pêl-droed a cherddoriaeth"},
        "provision": [{**item, "measure": "wpm"}, {"item_id": "b"}],
    }
    assert diff(v1, v2) == [
        {"target": "profile", "change": "changed"},
        {"target": "provision:a", "change": "changed", "fields": ["measure"]},
        {"target": "provision:b", "change": "added"},
    ]
    removed = diff(v2, {"profile": v2["profile"], "provision": []})
    assert sorted((c["target"], c["change"]) for c in removed) == [
        ("provision:a", "removed"),
        ("provision:b", "removed"),
    ]
