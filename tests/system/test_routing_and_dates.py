"""Issue 15 on the real stack (PostgreSQL, Tansu, Temporal, every service its own process):
a 25-year-old is refused, a 19-year-old outside education is routed under `la-not-necessary`, a
DECLO's s.64 notice of a 3-year-old opens an LA case, and a decision dated before the referral
is refused by its field (docs/rules.md s.4, s.5, "Dates that cannot be")."""

from collections.abc import Callable

import pytest

from llwybr.stack import Stack
from tests.system.test_referral import CARDIFF, get, learner, post, referral

pytestmark = pytest.mark.system

CARDIFF_AND_VALE = "W11000029"


@pytest.fixture(scope="module")
def officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}


async def test_routing_by_age_and_s64_and_dates_that_cannot_be(
    running: Stack, officer: dict[str, str], token: Callable[..., str]
) -> None:
    consent = {"status": "given", "date": "2026-11-20"}
    # 25 on the date of attention (20 Nov 2026) and 26: both refused by the birth date's field
    for born in ("2001-11-20", "2000-11-19"):
        too_old = referral(learner=learner(born, consent=consent), school=None)
        r = await post(running, "/api/v1/referrals", too_old, officer)
        assert r.status_code == 422, (born, r.text)
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("learner.date_of_birth", "dates.age-25-or-over")
        ], born

    nineteen = referral(learner=learner("2007-03-14", consent=consent), school=None)
    r = await post(running, "/api/v1/referrals", {**nineteen, "source": "young-person"}, officer)
    assert r.status_code == 201, r.text
    assert (r.json()["deciding_body"], r.json()["clock"]["rule"]) == (
        "local-authority",
        "la-not-necessary",
    )
    assert r.json()["clock"]["due"] is not None, "the journey runs the la-not-necessary clock"

    declo = {"Authorization": f"Bearer {token('declo', 'board:' + CARDIFF_AND_VALE)}"}
    notice = referral(
        learner=learner("2023-06-01"),
        school=None,
        source="health-body",
        referral_type="health-notice-s64",
    )
    r = await post(running, "/api/v1/referrals", notice, declo)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    assert (
        r.json()["deciding_body"],
        r.json()["deciding_authority"],
        r.json()["clock"]["rule"],
    ) == ("local-authority", CARDIFF, "la-decision")
    # the authority's officer has the case, with the board's notice on its timeline (Act s.64)
    seen = await get(running, f"/api/v1/cases/{case_id}", officer)
    assert seen.status_code == 200, seen.text
    notices = [t for t in seen.json()["timeline"] if t["kind"] == "health-notice-s64"]
    assert [t["detail"] for t in notices] == [CARDIFF_AND_VALE]

    early = {"outcome": "no-aln", "decided_on": "2026-11-19", "notice_given_on": "2026-11-19"}
    r = await post(running, f"/api/v1/cases/{case_id}/decision", early, officer)
    assert r.status_code == 422, r.text
    assert {(e["field"], e["code"], e["bound"]) for e in r.json()["errors"]} == {
        ("decided_on", "dates.before-referral", "2026-11-20"),
        ("notice_given_on", "dates.before-referral", "2026-11-20"),
    }
