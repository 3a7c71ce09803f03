"""Act s.64: a health body's DECLO or clinician tells the LA of a child under compulsory school
age who probably has ALN, through the referral API; the referral records the board. Only that
kind, only that age, only for an authority in the board's area (docs/rules.md s.5, s.11)."""

from typing import Any

import pytest

from referral.models import Referral, TimelineEntry

from .conftest import Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

CARDIFF_AND_VALE, SWANSEA_BAY = "W11000029", "W11000031"


def notice(born: str = "2023-06-01", **overrides: Any) -> dict[str, Any]:
    body = referral(**{"source": "health-body", "referral_type": "health-notice-s64", **overrides})
    body["learner"]["date_of_birth"] = born
    return body


async def test_a_declos_notice_of_a_3_year_old_opens_an_la_case_recording_the_board(
    desk: Desk,
) -> None:
    declo = desk.token("declo", f"board:{CARDIFF_AND_VALE}", lang="en")
    r = await desk.http.post("/api/v1/referrals", json=notice(), headers=declo)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["deciding_body"], out["deciding_authority"], out["clock"]["rule"]) == (
        "local-authority",
        "W06000015",
        "la-decision",
    )
    (row,) = await desk.rows(Referral, case_id=out["case_id"])
    assert row.referring_board == CARDIFF_AND_VALE and row.referral_type == "health-notice-s64"
    timeline = await desk.rows(TimelineEntry, case_id=out["case_id"])
    assert ("health-notice-s64", CARDIFF_AND_VALE) in {(t.kind, t.detail) for t in timeline}
    # the LA's officer sees the case the board's notice opened
    seen = await desk.http.get(f"/api/v1/cases/{out['case_id']}", headers=desk.officer())
    assert seen.status_code == 200
    clinician = desk.token("clinician", f"board:{CARDIFF_AND_VALE}")
    again = notice(born="2022-12-01")
    assert (
        await desk.http.post("/api/v1/referrals", json=again, headers=clinician)
    ).status_code == 201


async def test_a_health_body_refers_only_s64_of_a_child_under_school_age_in_its_area(
    desk: Desk,
) -> None:
    declo = desk.token("declo", f"board:{CARDIFF_AND_VALE}", lang="en")
    other = desk.token("declo", f"board:{SWANSEA_BAY}", lang="en")
    r = await desk.http.post("/api/v1/referrals", json=notice(), headers=other)
    assert (r.status_code, r.json()["code"]) == (403, "access.referral-scope")
    concern = notice(referral_type="concern")
    r = await desk.http.post("/api/v1/referrals", json=concern, headers=declo)
    assert (r.status_code, r.json()["code"]) == (403, "access.referral-health-s64-only")
    r = await desk.http.post("/api/v1/referrals", json=notice(born="2018-01-01"), headers=declo)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("learner.date_of_birth", "s64-under-school-age-only")
    ]
    liaison = desk.token("health-liaison", f"board:{CARDIFF_AND_VALE}")
    r = await desk.http.post("/api/v1/referrals", json=notice(), headers=liaison)
    assert (r.status_code, r.json()["code"]) == (403, "access.referral-role")
    assert await desk.cases() == []
