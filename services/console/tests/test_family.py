"""The family view (Act s.9, s.70; docs/rules.md section 7): opened by the link in a notice, no
sign-in; the console passes the link on to the referral service with its own service
credential and shows every clock in plain words, the decisions with the family's rights, and
who to contact. A bad or expired link gets one bilingual page that says nothing of the case."""

import html
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest

from llwybr_common import family_link
from llwybr_common.i18n import has_message
from llwybr_common.settings import Settings
from llwybr_common.wales import today_in_wales
from llwybr_contracts.vocabulary import RuleId

pytestmark = pytest.mark.unit

CASE = "0b7f6c1e-3f7a-4d8e-9a51-2c3d4e5f6a7b"
TODAY = today_in_wales()
VIEW_PATH = rf"/api/v1/cases/{CASE}/family-view"


def view(**overrides: Any) -> dict[str, Any]:
    body = {
        "case_id": CASE,
        "given_name": "Cai",
        "preferred_language": "cy",
        "authority": "W06000015",
        "authority_name_cy": "Caerdydd",
        "authority_name_en": "Cardiff",
        "state": "appeal-window",
        "deciding_body": "local-authority",
        "deciding_authority": "W06000015",
        "clocks": [
            {
                "rule": "la-decision",
                "status": "met",
                "start": (TODAY - timedelta(days=60)).isoformat(),
                "due": (TODAY + timedelta(days=24)).isoformat(),
                "met_on": "2026-11-20",
            },
            {
                "rule": "tribunal-appeal",
                "status": "running",
                "start": "2026-11-23",
                "due": (TODAY + timedelta(days=10)).isoformat(),
            },
            {
                "rule": "health-response",
                "status": "paused",
                "start": "2026-10-01",
                "due": None,
                "reason": "learner-absent",
            },
        ],
        "decisions": [
            {"has_aln": False, "deciding_body": "local-authority", "decided_on": "2026-11-20"}
        ],
        "notice_given_on": "2026-11-23",
        "appeal_due": "2027-01-18",
    }
    body.update(overrides)
    return body


def link(case_id: str = CASE) -> str:
    # The console never checks the signature (the referral service does): any key will do.
    return family_link.sign(Settings(family_link_secret="test-only"), case_id, "notice-1")


async def test_the_family_sees_their_case_in_plain_welsh_with_no_sign_in(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", VIEW_PATH, view())
    token = link()
    r = await console.get(f"/family/{token}", headers={"Accept-Language": "cy"})
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    assert 'lang="cy"' in page and "Achos Cai" in page
    assert "Wedi'i wneud ar 20 Tachwedd 2026" in page  # the decision clock, met
    assert "10 diwrnod ar ôl" in page and "Chi: gallwch apelio i Dribiwnlys Addysg Cymru" in page
    assert "Wedi'i oedi. Y rheswm: mae'r dysgwr yn absennol" in page
    assert "Mae'r bwrdd iechyd yn ateb" in page  # who is acting on the paused clock
    assert "penderfynodd yr awdurdod lleol, Caerdydd, nad oes gan Cai" in page
    assert "hyd at 18 Ionawr 2027" in page
    assert "Cysylltwch â thîm anghenion dysgu ychwanegol Caerdydd" in page and CASE in page
    assert "/sign-in" not in page and "/cases" not in page, "no way into staff pages"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"

    [asked] = [s for s in fake.sent if s.url.path == VIEW_PATH]
    assert asked.headers[family_link.HEADER] == token, "the link goes on to be checked"
    claims = jwt.decode(
        asked.headers["Authorization"].split()[1], options={"verify_signature": False}
    )
    assert claims["roles"] == ["service"] and claims["llwybr_scopes"] == []


async def test_the_same_case_in_english(console: httpx.AsyncClient, fake: Any) -> None:
    fake.on("GET", VIEW_PATH, view(decisions=[], appeal_due=None, preferred_language="en"))
    # The family asked for English: a browser set to Welsh does not change that.
    r = await console.get(f"/family/{link()}", headers={"Accept-Language": "cy"})
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    assert 'lang="en"' in page and "Cai's case" in page
    assert "Paused. The reason: the learner is absent." in page
    assert "No decision has been made yet." in page


async def test_the_page_follows_the_familys_language_and_the_switch_still_works(
    console: httpx.AsyncClient, fake: Any
) -> None:
    token = link()
    for preferred in ("cy", "both"):  # both: Welsh first
        fake.on("GET", VIEW_PATH, view(preferred_language=preferred))
        r = await console.get(f"/family/{token}", headers={"Accept-Language": "en-GB,en"})
        assert '<html lang="cy"' in r.text and "Achos Cai" in html.unescape(r.text), preferred
    # The reader's own choice, from the switch on the page, wins over the case's.
    page = html.unescape(r.text)
    assert f'href="/language/en?next=/family/{token}"' in page
    switched = await console.get(f"/language/en?next=/family/{token}")
    assert switched.status_code == 303 and switched.headers["location"] == f"/family/{token}"
    r = await console.get(f"/family/{token}", headers={"Accept-Language": "cy"})
    assert '<html lang="en"' in r.text and "Cai's case" in html.unescape(r.text)


async def test_bad_links_get_one_bilingual_page_that_says_nothing_of_the_case(
    console: httpx.AsyncClient, fake: Any
) -> None:
    pages = []
    for token, answer in (
        ("not-a-link", None),  # never reaches the service
        (link(), {"code": "not-found.family-link", "title": "Not found"}),
        (link("a-case-that-does-not-exist"), {"code": "not-found.family-link", "title": "x"}),
    ):
        if answer:
            fake.on("GET", r"/api/v1/cases/[^/]+/family-view", answer, status=404)
        r = await console.get(f"/family/{token}", headers={"Accept-Language": "cy"})
        assert r.status_code == 404
        assert "Ni ellir agor y ddolen hon" in r.text and "This link cannot be opened" in r.text
        assert 'lang="en"' in r.text  # the English half marked as English
        pages.append(r.text.replace(token, ""))
    assert pages[1] == pages[2], "the same page whether the case exists or not"
    assert len([s for s in fake.sent]) == 2

    fake.routes.clear()
    fake.on("GET", VIEW_PATH, {"code": "family-link-expired", "title": "Link expired"}, status=404)
    r = await console.get(f"/family/{link()}", headers={"Accept-Language": "en"})
    assert r.status_code == 410
    assert "This link has expired" in r.text
    assert "Mae'r ddolen hon wedi dod i ben" in html.unescape(r.text)
    assert "90 days" in r.text

    fake.routes.clear()
    fake.on("GET", VIEW_PATH, {"code": "x"}, status=500)
    r = await console.get(f"/family/{link()}")
    assert r.status_code == 503 and "Rhowch gynnig arall arni" in r.text


def test_every_rule_says_who_is_acting_and_what_happens_next_in_both_languages() -> None:
    for rule in RuleId:
        for part in ("who", "next"):
            assert has_message(f"console.family.{part}.{rule.value}"), (part, rule.value)


async def test_the_familys_own_appeal_window_past_its_date_says_it_closed_not_late(
    console: httpx.AsyncClient, fake: Any
) -> None:
    # docs/rules.md#windows: the window was the family's to use; nobody was late
    ended = TODAY - timedelta(days=3)
    lapsed = {"rule": "tribunal-appeal", "status": "running", "start": "2026-09-01"}
    fake.on("GET", VIEW_PATH, view(clocks=[{**lapsed, "due": ended.isoformat()}]))
    r = await console.get(f"/family/{link()}", headers={"Accept-Language": "cy"})
    page = html.unescape(r.text)
    assert "Wedi cau: daeth yr amser ar gyfer hyn i ben ar" in page
    assert "Yn hwyr" not in page and "gallwch ofyn i'r awdurdod lleol pam" not in page
    assert "Chi: gallwch apelio" not in page, "no call to act on a closed window"
