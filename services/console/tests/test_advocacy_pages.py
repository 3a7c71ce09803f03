"""The advocate's inbox and case view, gated by the family's consent (the advocacy service
answered by a fake)."""

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from llwybr_common.wales import today_in_wales

from .test_pages import csrf_of, sign_in

pytestmark = pytest.mark.unit

TODAY = today_in_wales()


def handoff(**kw: Any) -> dict[str, Any]:
    appeal = {
        "rule": "tribunal-appeal",
        "due": (TODAY + timedelta(days=50)).isoformat(),
        "status": "running",
        "days_left": 50,
    }
    return {
        "handoff_id": "h-1",
        "case_id": "c-0001-aaaa",
        "provider": "advocacy:snap-cymru",
        "provider_name": {"cy": "SNAP Cymru", "en": "SNAP Cymru"},
        "reason": "considering-appeal",
        "status": "offered",
        "consent_standing": True,
        "offered_on": TODAY.isoformat(),
        "accept_by": (TODAY + timedelta(days=7)).isoformat(),
        "late": False,
        "advocate": None,
        "accepted_on": None,
        "declined_on": None,
        "decline_reason": None,
        "clocks": [appeal],
        "appeal_window": appeal,
        **kw,
    }


async def test_the_inbox_and_a_case_with_consent_show_the_appeal_window(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/advocacy-handoffs", {"items": [handoff()]})
    await sign_in(console, "advocate.snap")
    await console.get("/language/en")
    page = (await console.get("/advocacy")).text
    assert 'data-handoff-id="h-1"' in page and "Considering an appeal to the tribunal" in page
    page = (await console.get("/advocacy/h-1")).text
    assert 'data-standing="true"' in page
    assert "The family may appeal to the tribunal until" in page
    assert "50 days left" in page
    assert 'id="accept-form"' in page and 'id="disagreement-form"' not in page
    assert (await console.get("/advocacy/other")).status_code == 404


async def test_without_consent_the_case_is_not_shown_and_the_page_says_why(
    console: httpx.AsyncClient, fake: Any
) -> None:
    gone = handoff(status="accepted", advocate="advocate.snap", consent_standing=False)
    fake.on("GET", "/api/v1/advocacy-handoffs", {"items": [{**gone, "clocks": None}]})
    await sign_in(console, "advocate.snap")
    await console.get("/language/en")
    page = (await console.get("/advocacy/h-1")).text
    assert 'data-standing="false"' in page and 'id="clock-table"' not in page
    assert "consent to share this case no longer stands" in page
    # The assigned advocate may still try; the service's refusal is shown with its reason.
    fake.on(
        "POST",
        "/api/v1/cases/c-0001-aaaa/disagreements",
        {"code": "advocacy.no-standing-consent", "title": "No consent", "detail": "Withdrawn."},
        status=409,
    )
    r = await console.post(
        "/advocacy/h-1/disagreement",
        data={
            "csrf_token": csrf_of(page),
            "disagreement-raised_on-day": str(TODAY.day),
            "disagreement-raised_on-month": str(TODAY.month),
            "disagreement-raised_on-year": str(TODAY.year),
            "disagreement-about": "decision",
            "disagreement-disagreement_resolution": "yes",
        },
    )
    assert r.status_code == 422 and "No consent: Withdrawn." in r.text
    sent = json.loads([x for x in fake.sent if x.method == "POST"][-1].content)
    assert sent == {
        "raised_on": TODAY.isoformat(),
        "about": "decision",
        "disagreement_resolution": True,
    }


async def test_accepting_names_the_signed_in_advocate(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/advocacy-handoffs", {"items": [handoff()]})
    fake.on("POST", "/api/v1/advocacy-handoffs/h-1/accept", handoff(status="accepted"))
    await sign_in(console, "advocate.snap")
    page = (await console.get("/advocacy/h-1")).text
    r = await console.post("/advocacy/h-1/accept", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == "/advocacy/h-1"
    assert fake.last_body() == {"advocate": "advocate.snap"}
    # declining needs a reason, said beside its field; nothing is posted
    before = len(fake.sent)
    r = await console.post("/advocacy/h-1/decline", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 422 and 'href="#decline-reason"' in r.text
    assert not [x for x in fake.sent[before:] if x.method == "POST"]
