"""The IDP pages: a case's plan opened as a draft, sections and provision items edited (vague
outcomes flagged in the page's language), issued, versions and their documents, reviews (the
idp service answered by a fake)."""

import json
from typing import Any

import httpx
import pytest

from .test_pages import csrf_of, sign_in

pytestmark = pytest.mark.unit

IDP_ID = "idp-1"
FLAG = {
    "code": "no-measure",
    "cy": "Nid yw'n dweud beth fydd yn cael ei fesur i ddangos cynnydd.",
    "en": "It does not say what will be measured to show progress.",
}


def item(**kw: Any) -> dict[str, Any]:
    return {
        "item_id": "it-1",
        "outcome": "Improve confidence in reading",
        "measure": None,
        "baseline": None,
        "target": None,
        "outcome_date": None,
        "provision": "Small-group phonics",
        "frequency": "3 times a week",
        "duration": "30 minutes",
        "group_size": "4",
        "welsh_delivery": True,
        "deliverer": "nhs:W11000029",
        "start_date": "2026-12-01",
        "review_date": None,
        "rationale": None,
        "needs_completion": False,
        "welsh_delivery_advice": None,
        "flags": [FLAG],
        **kw,
    }


def plan(**kw: Any) -> dict[str, Any]:
    return {
        "idp_id": IDP_ID,
        "case_id": "c-0001",
        "child_ref": "CR-77",
        "state": "draft",
        "version": 0,
        "maintainer": "la:W06000015",
        "maintainer_reason": "not-at-school",
        "authority": "W06000015",
        "content_language": "cy",
        "first_issued_on": None,
        "last_issued_on": None,
        "review_due": None,
        "review_at_risk": False,
        "cease_proposed_on": None,
        "cease_reason": None,
        "ceased_on": None,
        "profile": {"important_to_me": "Fy nghi, Mot"},
        "aln_description": {},
        "administration": {"contacts": [{"role": "case-officer"}]},
        "provision": [item()],
        "flagged_outcomes": 1,
        "unissued_changes": 3,
        **kw,
    }


def listing(*plans: dict[str, Any]) -> dict[str, Any]:
    keys = ("idp_id", "case_id", "child_ref", "state", "version", "maintainer", "review_due")
    return {
        "items": [
            {**{k: p[k] for k in keys}, "review_at_risk": False, "flagged_outcomes": 1}
            for p in plans
        ]
    }


def posted(fake: Any, method: str = "POST") -> Any:
    return json.loads([r for r in fake.sent if r.method == method][-1].content)


async def test_a_case_without_a_plan_offers_the_draft_and_opens_it(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/idps", {"items": []})
    fake.on("POST", "/api/v1/cases/c-0001/idp", {"idp_id": IDP_ID, "version": 0, "state": "draft"})
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get("/cases/c-0001/idp")).text
    assert "There is no plan yet" in page
    r = await console.post(
        "/cases/c-0001/idp",
        data={"csrf_token": csrf_of(page), "draft-content_language": "both"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/idps/{IDP_ID}"
    assert posted(fake) == {"content_language": "both"}

    # The journey has not decided ALN yet: the service's reason, in the page's language.
    fake.on(
        "POST",
        "/api/v1/cases/c-0001/idp",
        {"code": "idp.aln-not-decided", "title": "No ALN decision yet", "detail": "Decide first."},
        status=409,
    )
    r = await console.post(
        "/cases/c-0001/idp", data={"csrf_token": csrf_of(page), "draft-content_language": "en"}
    )
    assert r.status_code == 422 and "No ALN decision yet: Decide first." in r.text

    # a case that has a plan goes straight to it, asked for by case (not every plan in scope)
    fake.on("GET", "/api/v1/idps", listing(plan()))
    r = await console.get("/cases/c-0001/idp")
    assert r.status_code == 303 and r.headers["location"] == f"/idps/{IDP_ID}"
    assert fake.sent[-1].url.params["case_id"] == "c-0001"


async def test_the_plan_page_flags_vague_outcomes_in_the_pages_language(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan())
    await sign_in(console)
    page = (await console.get(f"/idps/{IDP_ID}")).text  # Siân prefers Welsh
    assert "Nid yw&#39;n dweud beth fydd yn cael ei fesur" in page
    assert 'data-flags="no-measure"' in page
    assert "Bwrdd Iechyd Prifysgol Caerdydd a&#39;r Fro" in page  # deliverer by name
    assert "Fy nghi, Mot" in page
    assert "la:W06000015" not in page  # the maintaining authority by name
    assert 'id="issue-form"' in page and 'id="review-form"' not in page  # a draft: issue only
    await console.get("/language/en")
    page = (await console.get(f"/idps/{IDP_ID}")).text
    assert "It does not say what will be measured to show progress." in page
    assert "1 outcomes are vague" in page

    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan(state="active", version=2, unissued_changes=0))
    page = (await console.get(f"/idps/{IDP_ID}")).text
    assert 'id="review-form"' in page and 'id="issue-form"' not in page
    assert f'href="/idps/{IDP_ID}/versions/2/document?format=pdf"' in page
    assert f'href="/idps/{IDP_ID}/versions/1"' in page


async def test_a_plan_out_of_scope_is_a_page_that_does_not_exist(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/idps/other", {"code": "not-found", "title": "Not found"}, status=404)
    await sign_in(console)
    assert (await console.get("/idps/other")).status_code == 404


async def test_a_section_is_saved_whole_keeping_the_contacts_it_does_not_edit(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan())
    fake.on("PUT", f"/api/v1/idps/{IDP_ID}/sections/administration", plan())
    await sign_in(console)
    page = (await console.get(f"/idps/{IDP_ID}/sections/administration")).text
    assert 'value="cy" checked' in page  # the plan's language, chosen
    r = await console.post(
        f"/idps/{IDP_ID}/sections/administration",
        data={
            "csrf_token": csrf_of(page),
            "section-setting": "Ysgol Enghraifft",
            "section-content_language": "both",
            "section-reason": "Moved school",
        },
    )
    assert r.status_code == 303
    sent = posted(fake, "PUT")
    assert sent["reason"] == "Moved school"
    assert sent["content"]["setting"] == "Ysgol Enghraifft"
    assert sent["content"]["contacts"] == [{"role": "case-officer"}]
    assert sent["content"]["content_language"] == "both"

    # a field the service refuses is shown beside its field
    fake.on(
        "PUT",
        f"/api/v1/idps/{IDP_ID}/sections/profile",
        {
            "code": "validation",
            "title": "Invalid",
            "errors": [{"field": "content.important_to_me", "code": "x", "reason": "Too long"}],
        },
        status=422,
    )
    r = await console.post(
        f"/idps/{IDP_ID}/sections/profile",
        data={"csrf_token": csrf_of(page), "section-important_to_me": "x" * 10},
    )
    assert r.status_code == 422
    assert 'href="#section-important_to_me"' in r.text and "Too long" in r.text


async def test_a_provision_item_is_added_with_its_dates_and_deliverer(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan())
    fake.on("POST", f"/api/v1/idps/{IDP_ID}/provision", item(), status=201)
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/idps/{IDP_ID}/provision/new")).text
    form = {
        "csrf_token": csrf_of(page),
        "item-outcome": "Read 60 words a minute",
        "item-measure": "Words read a minute",
        "item-baseline": "25",
        "item-target": "60",
        "item-outcome_date-day": "17",
        "item-outcome_date-month": "7",
        "item-outcome_date-year": "2027",
        "item-provision": "Small-group phonics",
        "item-deliverer": "school",
        "item-welsh_delivery": "yes",
    }
    r = await console.post(f"/idps/{IDP_ID}/provision/new", data=form)
    assert r.status_code == 303, r.text
    sent = posted(fake)
    assert sent["outcome_date"] == "2027-07-17" and sent["deliverer"] == "school"
    assert sent["welsh_delivery"] is True and "start_date" not in sent

    # an impossible date is shown beside its field and nothing is posted
    before = len(fake.sent)
    r = await console.post(
        f"/idps/{IDP_ID}/provision/new", data={**form, "item-outcome_date-month": "13"}
    )
    assert r.status_code == 422 and 'href="#item-outcome_date-day"' in r.text
    assert not [x for x in fake.sent[before:] if x.method == "POST"]


async def test_issuing_and_a_refusal_to_issue(console: httpx.AsyncClient, fake: Any) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan())
    fake.on(
        "POST",
        f"/api/v1/idps/{IDP_ID}/issue",
        {"idp_id": IDP_ID, "version": 1, "issued_on": "2026-11-27"},
    )
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/idps/{IDP_ID}")).text
    r = await console.post(f"/idps/{IDP_ID}/issue", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    assert posted(fake) == {}  # today, as the service reckons it
    assert "Version 1 of the plan has been issued." in (await console.get(f"/idps/{IDP_ID}")).text
    fake.on(
        "POST",
        f"/api/v1/idps/{IDP_ID}/issue",
        {"code": "idp.access.not-maintainer", "title": "Not yours to issue"},
        status=403,
    )
    r = await console.post(f"/idps/{IDP_ID}/issue", data={"csrf_token": csrf_of(page)})
    assert (
        r.status_code == 422 and "Not yours to issue" in r.text and 'id="issue-form" open' in r.text
    )


async def test_what_the_plan_lacks_before_issue_links_to_its_section(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan())
    lacks = {"field": "aln_description", "code": "idp.required", "reason": "It is needed."}
    fake.on(
        "POST",
        f"/api/v1/idps/{IDP_ID}/issue",
        {"code": "validation", "title": "Invalid", "errors": [lacks]},
        status=422,
    )
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/idps/{IDP_ID}")).text
    r = await console.post(f"/idps/{IDP_ID}/issue", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 422
    assert 'href="#section-aln-description"' in r.text
    assert "Description of the ALN: It is needed." in r.text


async def test_a_review_posts_its_date_and_whether_it_revised_the_plan(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/idps/{IDP_ID}", plan(state="active", version=1))
    fake.on("POST", f"/api/v1/idps/{IDP_ID}/reviews", {"idp_id": IDP_ID}, status=201)
    await sign_in(console)
    page = (await console.get(f"/idps/{IDP_ID}")).text
    r = await console.post(
        f"/idps/{IDP_ID}/reviews",
        data={
            "csrf_token": csrf_of(page),
            "review-held_on-day": "20",
            "review-held_on-month": "11",
            "review-held_on-year": "2026",
            "review-revised": "no",
        },
    )
    assert r.status_code == 303
    assert posted(fake) == {"held_on": "2026-11-20", "revised": False}


async def test_a_version_shows_its_changes_and_passes_on_its_pdf(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on(
        "GET",
        f"/api/v1/idps/{IDP_ID}/versions/1",
        {
            "idp_id": IDP_ID,
            "version": 1,
            "issued_on": "2026-11-27",
            "issued_by": "la-officer.cardiff",
            "reason": None,
            "content": {},
            "flagged_outcomes": 0,
            "changes": [
                {
                    "seq": 1,
                    "at": "2026-11-26T10:00:00+00:00",
                    "author": "la-officer.cardiff",
                    "reason": "First draft",
                    "target": "provision:it-1",
                    "action": "create",
                }
            ],
            "diff": [],
        },
    )
    fake.on(
        "GET",
        f"/api/v1/idps/{IDP_ID}/versions/1/document",
        lambda r: httpx.Response(
            200,
            content=b"%PDF-1.7 " + r.url.query,
            headers={"content-type": "application/pdf", "content-disposition": "inline"},
        ),
    )
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/idps/{IDP_ID}/versions/1")).text
    assert "Added: Additional learning provision" in page and "First draft" in page
    assert "PDF in Welsh and English" in page
    r = await console.get(f"/idps/{IDP_ID}/versions/1/document?format=pdf&lang=cy")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"lang=cy" in r.content
    assert r.headers["cache-control"] == "no-store"
    assert (await console.get(f"/idps/{IDP_ID}/versions/1/document?format=exe")).status_code == 404
