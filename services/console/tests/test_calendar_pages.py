"""Calendar admin pages (the journey's calendar API answered by a fake): upload, preview of
the school days added and removed in Welsh and English, confirm with CSRF, refusals shown."""

import html
import json
import re
from typing import Any

import httpx
import pytest

from .test_pages import csrf_of, sign_in

pytestmark = pytest.mark.unit

CSV = "start,end,kind\n2026-09-02,2026-12-18,term\n"


def preview_answer(**kw: Any) -> dict[str, Any]:
    summary = {"illustrative": False, "first": "2026-09-02", "last": "2026-12-18"}
    return {
        "authority": "W06000015",
        "authority_name_en": "Cardiff",
        "authority_name_cy": "Caerdydd",
        "school": None,
        "current": {**summary, "version": "cal-old", "illustrative": True, "school_days": 75},
        "proposed": {**summary, "version": "cal-new", "school_days": 74},
        "unchanged": False,
        "days_added": ["2026-10-30"],
        "days_removed": ["2026-11-20", "2026-11-23"],
        "terms": [
            {"start": "2026-09-02", "end": "2026-12-18", "school_days": 74, "school_days_now": 75}
        ],
        **kw,
    }


def calendar_view() -> dict[str, Any]:
    return {
        "authority": "W06000015",
        "authority_name_en": "Cardiff",
        "authority_name_cy": "Caerdydd",
        "school": None,
        "current": {"version": "cal-old", "illustrative": True, "first": "2026-09-02",
                    "last": "2027-07-21", "school_days": 190},
        "changes": [],
    }  # fmt: skip


async def upload(console: httpx.AsyncClient, **data: str) -> httpx.Response:
    page = (await console.get("/calendars")).text
    return await console.post(
        "/calendars/preview",
        data={"csrf_token": csrf_of(page), "authority": "W06000015", **data},
        files={"calendar": ("cardiff-2026.csv", CSV.encode(), "text/csv")},
    )


async def test_upload_preview_and_confirm(console: httpx.AsyncClient, fake: Any) -> None:
    fake.on("GET", "/api/v1/calendars/W06000015", calendar_view())
    fake.on("POST", "/api/v1/calendars/preview", preview_answer())
    fake.on(
        "POST", "/api/v1/calendars",
        {"authority": "W06000015", "school": None, "calendar_version": "cal-new",
         "previous_version": "cal-old", "summary": preview_answer()["proposed"]},
        status=201,
    )  # fmt: skip
    await sign_in(console)
    await console.get("/language/en")
    form = (await console.get("/calendars")).text
    assert 'href="/calendars"' in form  # in the header's navigation
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert '<option value="W06000015" selected>' in form  # the officer's own authority
    assert "Llwybr&#39;s illustrative calendar" in form

    preview = await upload(console)  # no format chosen: from the file's name
    assert preview.status_code == 200, preview.text
    sent = fake.last_body()
    assert sent == {"authority": "W06000015", "school": None, "format": "csv", "calendar": CSV}
    page = preview.text
    assert "Calendar preview: Cardiff" in page
    assert "School days added" in page and "30 October 2026" in page
    assert "20 November 2026" in page and "23 November 2026" in page
    assert re.search(
        r"govuk-table__cell--numeric\">75<.*govuk-table__cell--numeric\">74<", page, re.S
    )

    confirm = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    assert confirm["csrf_token"] and confirm["idempotency_key"]
    confirm = {k: html.unescape(v) for k, v in confirm.items()}
    done = await console.post("/calendars/confirm", data=confirm)
    assert done.status_code == 303
    imported = [r for r in fake.sent if r.method == "POST" and r.url.path == "/api/v1/calendars"]
    assert json.loads(imported[0].content)["calendar"] == CSV
    assert imported[0].headers["Idempotency-Key"] == confirm["idempotency_key"]
    shown = (await console.get(done.headers["location"])).text
    assert "Calendar imported: version cal-new" in shown

    await console.get("/language/cy")
    cy = (await upload(console)).text
    assert "Rhagolwg o&#39;r calendr: Caerdydd" in cy and "Diwrnodau ysgol a ddilëir" in cy


async def test_a_bad_file_shows_the_parsers_words_beside_the_file(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/calendars/W06000015", calendar_view())
    reason = "the calendar cannot be used: line 3: unreadable end date '2027-13-01'"
    fake.on(
        "POST", "/api/v1/calendars/preview",
        {"code": "validation", "title": "Invalid", "errors": [
            {"field": "calendar", "code": "calendar-invalid", "reason": reason}]},
        status=422,
    )  # fmt: skip
    await sign_in(console)
    await console.get("/language/en")
    answer = await upload(console, format="csv")
    assert answer.status_code == 422
    assert 'href="#calendar"' in answer.text  # the error summary links to the file input
    assert "line 3: unreadable end date &#39;2027-13-01&#39;" in answer.text


async def test_a_refusal_is_shown_and_other_roles_do_not_get_the_page(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on(
        "POST", "/api/v1/calendars/preview",
        {"code": "access.calendar-scope", "title": "Access denied",
         "detail": "You may change only your own school's calendar"},
        status=403,
    )  # fmt: skip
    await sign_in(console, "alnco.6812345")
    await console.get("/language/en")
    form = (await console.get("/calendars")).text
    assert 'name="school" type="text" value="6812345"' in form
    answer = await upload(console, school="6700001", format="csv")
    assert answer.status_code == 422
    assert "Access denied: You may change only your own school&#39;s calendar" in answer.text

    await console.post("/sign-out", data={"csrf_token": csrf_of(form)})
    await sign_in(console, "declo.cav")
    assert (await console.get("/calendars")).status_code == 403
