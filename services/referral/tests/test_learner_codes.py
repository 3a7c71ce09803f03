"""The year group and language of education a referral gives reach the events as codes
(ReferralReceived and CaseOpened version 2), so insight can count plans by them; a code the
API does not know is a 422 naming the field, and a referral without them still opens a case."""

from typing import Any

import pytest

from llwybr_common.outbox import OutboxMessage

from .conftest import Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service


async def _data(desk: Desk, case_id: str) -> dict[str, dict[str, Any]]:
    rows = await desk.rows(OutboxMessage, key=case_id)
    return {r.event_type: r.envelope["data"] for r in rows}


async def test_the_codes_given_travel_on_both_events_and_no_name_does(desk: Desk) -> None:
    body = referral()
    body["learner"] |= {"year_group": "Y4", "language_of_education": "welsh-medium"}
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 201, r.text
    data = await _data(desk, r.json()["case_id"])
    for kind in ("case-opened", "referral-received"):
        event = data[f"wales.aln.referral.{kind}.v2"]
        assert (event["year_group"], event["language_of_education"]) == ("Y4", "welsh-medium")
        assert body["learner"]["family_name"] not in str(event)


async def test_without_codes_the_events_say_unknown_and_the_first_values_still_read(
    desk: Desk,
) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    assert r.status_code == 201, r.text
    opened = (await _data(desk, r.json()["case_id"]))["wales.aln.referral.case-opened.v2"]
    assert (opened["year_group"], opened["language_of_education"]) == ("unknown", "unknown")

    old = referral()
    old["learner"]["language_of_education"] = "welsh"  # the API's first value
    r = await desk.http.post("/api/v1/referrals", json=old, headers=desk.officer())
    assert r.status_code == 201, r.text
    opened = (await _data(desk, r.json()["case_id"]))["wales.aln.referral.case-opened.v2"]
    assert opened["language_of_education"] == "welsh-medium"
    detail = await desk.http.get(f"/api/v1/cases/{r.json()['case_id']}", headers=desk.officer())
    assert detail.json()["learner"]["language_of_education"] == "welsh-medium"


@pytest.mark.parametrize(
    ("field", "value"), [("year_group", "Y15"), ("language_of_education", "french")]
)
async def test_an_unknown_code_is_a_422_naming_the_field_and_writes_nothing(
    desk: Desk, field: str, value: str
) -> None:
    body = referral()
    body["learner"][field] = value
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"learner.{field}"]
    assert await desk.cases() == [] and await desk.rows(OutboxMessage) == []
