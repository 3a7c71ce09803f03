"""The pure rules: when consent stands, and when a handoff is due an answer."""

from datetime import UTC, date, datetime

import pytest

from advocacy.models import AdvocacyConsent
from advocacy.service import accept_by, consent_standing

pytestmark = pytest.mark.unit

CARDIFF = "W06000015"


def consent(**kw: object) -> AdvocacyConsent:
    base: dict[str, object] = {
        "consent_id": "c",
        "case_id": "k",
        "authority": CARDIFF,
        "provider": "advocacy:snap-cymru",
        "given_by": "parent",
        "shares": ["idp"],
        "valid_from": date(2026, 11, 20),
        "recorded_by": "x",
        "recorded_by_role": "la-officer",
        "recorded_at": datetime(2026, 11, 20, tzinfo=UTC),
    }
    return AdvocacyConsent.model_validate({**base, **kw})


def test_consent_stands_from_its_first_to_its_last_day() -> None:
    c = consent(valid_until=date(2026, 12, 1))
    assert not consent_standing(c, date(2026, 11, 19))
    assert consent_standing(c, date(2026, 11, 20))
    assert consent_standing(c, date(2026, 12, 1))
    assert not consent_standing(c, date(2026, 12, 2))


def test_withdrawn_consent_never_stands() -> None:
    c = consent(withdrawn_at=datetime(2026, 11, 21, tzinfo=UTC))
    assert not consent_standing(c, date(2026, 11, 22))


@pytest.mark.parametrize(
    ("offered", "due"),
    [
        (date(2026, 11, 27), date(2026, 12, 4)),  # Friday -> next Friday
        (date(2026, 12, 23), date(2027, 1, 4)),  # Christmas, Boxing Day substitute, New Year
        (date(2026, 11, 28), date(2026, 12, 4)),  # offered on a Saturday
    ],
)
def test_five_working_days_skip_weekends_and_welsh_bank_holidays(offered: date, due: date) -> None:
    assert accept_by(offered, CARDIFF) == due
