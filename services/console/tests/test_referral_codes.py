"""The new-referral form offers the year group and the language of education, labelled in
Welsh and English, and sends the codes chosen (none chosen: none sent, the API records
unknown)."""

from typing import Any

import httpx
import pytest

from .test_pages import CASE_ID, csrf_of, sign_in

pytestmark = pytest.mark.unit

FORM = {
    "received_on-day": "20",
    "received_on-month": "11",
    "received_on-year": "2026",
    "learner-date_of_birth-day": "2",
    "learner-date_of_birth-month": "5",
    "learner-date_of_birth-year": "2017",
}


async def test_the_form_offers_the_codes_in_both_languages_and_sends_them(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("POST", "/api/v1/referrals", {"case_id": CASE_ID, "attached": False}, status=201)
    await sign_in(console)
    await console.get("/language/cy")
    page = (await console.get("/referrals/new")).text
    assert "Grŵp blwyddyn (dewisol)" in page and ">Blwyddyn 4<" in page and ">Derbyn<" in page
    assert 'value="welsh-medium"' in page and "Cyfrwng Saesneg" in page
    await console.get("/language/en")
    page = (await console.get("/referrals/new")).text
    assert "Year group (optional)" in page and ">Reception<" in page and ">Year 14<" in page
    assert "Dual-stream school (stream not recorded)" in page
    form = {
        **FORM,
        "csrf_token": csrf_of(page),
        "learner-year_group": "Y4",
        "learner-language_of_education": "welsh-medium",
    }
    r = await console.post("/referrals/new", data=form)
    assert r.status_code == 303, r.text
    sent = fake.last_body()["learner"]
    assert (sent["year_group"], sent["language_of_education"]) == ("Y4", "welsh-medium")

    page = (await console.get("/referrals/new")).text
    r = await console.post("/referrals/new", data={**FORM, "csrf_token": csrf_of(page)})
    assert r.status_code == 303, r.text
    assert "year_group" not in fake.last_body()["learner"]
