"""`llwybr demo` gives its learners a year group that fits their age and a language of
education, so the statutory figures by year group, by language and of Welsh-medium provision
show something after a demo."""

from collections import Counter
from datetime import date

import pytest

from llwybr.demo_spread import spread, welsh_delivery, year_group_for
from llwybr_contracts.learner_codes import LanguageOfEducation, YearGroup

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("born", "received", "year_group"),
    [
        ("2020-10-01", "2025-10-15", "R"),  # turns 5 in this school year
        ("2020-08-31", "2025-10-15", "Y1"),  # turned 5 in the last one
        ("2022-09-01", "2025-10-15", "N1"),
        ("2019-05-02", "2026-06-30", "Y2"),
        ("2008-01-01", "2026-11-27", "Y14"),  # turns 19 in this school year
        ("2007-01-01", "2026-11-27", "none"),  # past Y14
        ("2025-01-01", "2026-11-27", "none"),  # not yet nursery age
    ],
)
def test_a_year_group_by_age(born: str, received: str, year_group: str) -> None:
    assert year_group_for(date.fromisoformat(born), date.fromisoformat(received)) == year_group


def test_the_spread_carries_valid_codes_and_some_welsh_medium_plans() -> None:
    planned = spread(7, TODAY)
    learners = [p.referral["learner"] for p in planned]
    assert {x["year_group"] for x in learners} <= {y.value for y in YearGroup}
    languages = Counter(x.get("language_of_education", "unknown") for x in learners)
    assert set(languages) <= {x.value for x in LanguageOfEducation}
    assert languages["welsh-medium"] >= 5 and languages["english-medium"] >= 5
    young = [p for p in planned if p.kind in ("consent-pending", "closed")]
    assert young and all(p.referral["learner"]["year_group"] == "none" for p in young)
    welsh = [p for p in planned if p.referral["learner"].get("language_of_education") in (
        "welsh-medium", "bilingual")]  # fmt: skip
    assert any(welsh_delivery(p) for p in welsh) and not all(welsh_delivery(p) for p in welsh)
    assert not any(welsh_delivery(p) for p in planned if p not in welsh)
