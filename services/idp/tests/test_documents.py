"""An issued version as the family reads it: a tagged PDF and accessible HTML in Welsh, in
English, or both with Welsh first; headings from the catalogues, the plan's own content as
written, and a statement of the language it was written in. Text extracted from the PDF shows
the Welsh headings and the plan's dates."""

import io

import httpx
import pytest
from pypdf import PdfReader

from idp.referral_client import ReferralDirectory

from .conftest import Desk
from .test_plans import draft, ready_to_issue

pytestmark = pytest.mark.service


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


async def issued_plan(desk: Desk) -> str:
    officer = desk.officer()
    _, idp_id = await draft(desk, officer)
    await desk.http.put(
        f"/api/v1/idps/{idp_id}/sections/administration",
        json={"content": {"content_language": "cy", "education_medium": "Cyfrwng Cymraeg"}},
        headers=officer,
    )
    await desk.http.put(
        f"/api/v1/idps/{idp_id}/sections/profile",
        json={"content": {"important_to_me": "Pêl-droed a'm ci, Mot"}},
        headers=officer,
    )
    await ready_to_issue(desk, idp_id, officer)
    r = await desk.http.post(
        f"/api/v1/idps/{idp_id}/issue", json={"issued_on": "2026-11-25"}, headers=officer
    )
    assert r.status_code == 200, r.text
    return idp_id


async def test_the_welsh_pdf_shows_welsh_headings_and_the_plans_dates(desk: Desk) -> None:
    idp_id = await issued_plan(desk)
    url = f"/api/v1/idps/{idp_id}/versions/1/document"
    r = await desk.http.get(url, params={"format": "pdf", "lang": "cy"}, headers=desk.officer())
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for heading in (
        "Cynllun Datblygu Unigol",
        "Gwybodaeth weinyddol",
        "Proffil un dudalen",
        "Disgrifiad o'r anghenion dysgu ychwanegol",
        "Darpariaeth ddysgu ychwanegol",
    ):
        assert heading in text, heading
    # Issued on, the outcome's date and the start date, in Welsh.
    for when in ("25 Tachwedd 2026", "16 Gorffennaf 2027", "1 Rhagfyr 2026"):
        assert when in text, when
    assert "Ysgrifennwyd cynnwys y cynllun hwn yn Gymraeg" in text
    assert "Individual Development Plan" not in text
    # The content as written (the plan was written in Welsh, so the English copy shows it too).
    english = pdf_text(
        (
            await desk.http.get(url, params={"format": "pdf", "lang": "en"}, headers=desk.officer())
        ).content
    )
    assert "One-page profile" in english and "25 November 2026" in english
    assert "Proffil un dudalen" not in english
    assert "40 gair y funud" in english and "40 gair y funud" in text


async def test_both_languages_put_welsh_first_and_html_says_its_language(desk: Desk) -> None:
    idp_id = await issued_plan(desk)
    url = f"/api/v1/idps/{idp_id}/versions/1/document"
    r = await desk.http.get(url, params={"format": "html", "lang": "both"}, headers=desk.officer())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="cy">' in html
    assert html.index("Proffil un dudalen") < html.index("One-page profile")
    # Autoescaped: the learner's own words are shown, never interpreted.
    assert "Pêl-droed a&#39;m ci, Mot" in html


async def test_without_lang_the_familys_choice_from_referral_is_used(desk: Desk) -> None:
    idp_id = await issued_plan(desk)
    asked: list[httpx.Request] = []

    def referral(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"learner": {"preferred_language": "en"}})

    settings = desk.rt.settings.model_copy(
        update={"service_urls": {"referral": "http://referral.test"}}
    )
    desk.app.state.referral = ReferralDirectory(settings, transport=httpx.MockTransport(referral))
    try:
        r = await desk.http.get(
            f"/api/v1/idps/{idp_id}/versions/1/document", headers=desk.officer()
        )
    finally:
        desk.app.state.referral = None
    assert "One-page profile" in r.text and "Proffil un dudalen" not in r.text
    # Asked with the idp service's own credential (claim-check), not the caller's.
    [request] = asked
    assert request.headers["authorization"] != desk.officer()["Authorization"]
