"""The case page's additions: an open health request withdrawn, and the timeline's detail said
in words in Welsh and English rather than as the codes the referral service keeps."""

import re
from typing import Any

import httpx
import pytest

from console.timeline_text import describe

from .test_pages import CASE_ID, csrf_of, day, detail, sign_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("kind", "raw", "cy", "en"),
    [
        (
            "ClockChanged",
            "la-decision paused due none because learner-absent",
            "wedi'i oedi",
            "paused Reason: the learner is absent.",
        ),
        ("StateChanged", "consent-pending -> decision-pending", "O ", "From "),
        (
            "AlnDecided",
            "no ALN by local-authority on 2026-11-27",
            "27 Tachwedd 2026",
            "The learner does not have ALN. Decided by: Local authority, 27 November 2026.",
        ),
        ("ReferredToLa", "to W06000015 on 2026-11-02", "Caerdydd", "Referred to Cardiff on"),
        (
            "AppealWindowOpened",
            "notice 2026-11-27, appeal by 2027-01-22",
            "22 Ionawr 2027",
            "the family may appeal until 22 January 2027",
        ),
        ("case-opened", "not-at-school", "Ddim mewn ysgol", "Not at a school"),
        (
            "CaseClosed",
            "consent-refused on 2026-11-27",
            "Caniatâd wedi'i wrthod",
            "Consent refused",
        ),
        (
            "DeadlineAtRisk",
            "la-decision due 2026-12-03, level 0, alert la-officer of la:W06000015",
            "Caerdydd",
            "alerted",
        ),
    ],
)
def test_each_timeline_detail_is_said_in_words(kind: str, raw: str, cy: str, en: str) -> None:
    welsh, english = describe(kind, raw, "cy"), describe(kind, raw, "en")
    assert welsh.translated and english.translated
    assert cy in welsh.text and en in english.text
    for said in (welsh.text, english.text):
        # no ISO date and no code left: dates in words, codes said from the catalogue
        assert not re.search(r"\d{4}-\d{2}-\d{2}", said)
        assert not re.search(
            r"\b(la-decision|not-at-school|consent-refused|local-authority)\b", said
        )


def test_a_detail_in_an_unknown_shape_is_shown_as_it_is_and_marked() -> None:
    said = describe("ClockChanged", "something new", "cy")
    assert said.text == "something new" and not said.translated


async def test_the_case_page_shows_the_timeline_in_welsh(
    console: httpx.AsyncClient, fake: Any
) -> None:
    case = detail()
    case["timeline"].append(
        {
            "at": f"{day(-1)}T10:00:00+00:00",
            "kind": "StateChanged",
            "detail": "consent-pending -> decision-pending",
        }
    )
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", case)
    await sign_in(console)
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "consent-pending -&gt; decision-pending" not in page
    assert "not-at-school" not in page.split('id="timeline"')[1]
    assert "Ddim mewn ysgol" in page


def health_case() -> dict[str, Any]:
    return detail(
        clocks=[
            {"rule": "la-decision", "start": day(-50), "due": day(30), "status": "running"},
            {
                "rule": "health-response",
                "start": day(-3),
                "due": day(39),
                "status": "running",
                "subject": "hr-123456789",
            },
        ]
    )


def health_request(status: str) -> dict[str, Any]:
    return {
        "request_id": "hr-123456789",
        "board": "W11000029",
        "board_name": {"cy": "BIP Caerdydd a'r Fro", "en": "Cardiff and Vale UHB"},
        "status": status,
        "received_on": day(-3),
        "outcome": None,
        "service": None,
        "welsh_delivery": None,
    }


async def test_an_open_health_request_is_withdrawn_from_the_case_page(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", health_case())
    fake.on("GET", "/api/v1/health-requests/hr-123456789", health_request("open"))
    path = f"/api/v1/cases/{CASE_ID}/health-requests/hr-123456789/withdraw"
    fake.on("POST", path, {"case_id": CASE_ID, "accepted": True, "state": "decision-pending"})
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert 'id="withdraw-hr-123456789-form"' in page
    form = {"csrf_token": csrf_of(page), "withdraw-hr-123456789-note": "Family moved away"}
    r = await console.post(f"/cases/{CASE_ID}/health-requests/hr-123456789/withdraw", data=form)
    assert r.status_code == 303
    assert fake.last_body() == {"note": "Family moved away"}
    assert "The health request has been withdrawn." in (await console.get(f"/cases/{CASE_ID}")).text

    # the journey refuses (already answered): its reason, beside the request
    fake.on(
        "POST",
        path,
        {"code": "journey.refused", "title": "Refused", "detail": "Answered."},
        status=409,
    )
    r = await console.post(f"/cases/{CASE_ID}/health-requests/hr-123456789/withdraw", data=form)
    assert r.status_code == 422 and "Refused: Answered." in r.text
    assert 'href="#withdraw-hr-123456789-form"' in r.text

    # an answered request has nothing to withdraw
    fake.on("GET", "/api/v1/health-requests/hr-123456789", health_request("responded"))
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert 'id="withdraw-hr-123456789-form"' not in page
