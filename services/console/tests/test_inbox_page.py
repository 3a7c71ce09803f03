"""The notifications inbox and the header's unread count (the service answered by a fake)."""

from typing import Any

import httpx
import pytest

from .test_pages import csrf_of, sign_in

pytestmark = pytest.mark.unit


def note(i: str, unread: bool, language: str = "en", **kw: Any) -> dict[str, Any]:
    return {
        "id": i,
        "case_id": "c-0001",
        "kind": "deadline-at-risk",
        "language": language,
        "text": "The decision on case c-0001 is due on 3 December.",
        "link": "http://console.example:8000/cases/c-0001",
        "created_at": "2026-11-20T10:00:00+00:00",
        "unread": unread,
        **kw,
    }


async def test_the_inbox_lists_notifications_and_the_header_counts_the_unread(
    console: httpx.AsyncClient, fake: Any
) -> None:
    both = "Mae'r penderfyniad yn ddyledus.\n\nThe decision is due."
    fake.on(
        "GET",
        "/api/v1/inbox",
        {"items": [note("n1", True), note("n2", False), note("n3", True, "both", text=both)]},
    )
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get("/inbox")).text
    assert "3 notifications, 2 unread." in page
    assert "Deadline at risk" in page
    assert 'href="/cases/c-0001"' in page  # the console's own path, whatever host sent it
    assert '<p class="govuk-body" lang="cy">Mae&#39;r penderfyniad yn ddyledus.</p>' in page
    assert '<p class="govuk-body" lang="en">The decision is due.</p>' in page
    assert page.count('action="/inbox/') == 2  # only the unread can be marked read
    assert 'Mark as read<span class="govuk-visually-hidden"> 20 November 2026 c-0001</span>' in page
    assert 'hx-get="/inbox/unread"' in page  # the header asks for its count

    fragment = (await console.get("/inbox/unread")).text
    assert 'data-count="2"' in fragment and "2 unread" in fragment
    await console.get("/language/cy")
    assert "2 heb eu darllen" in (await console.get("/inbox/unread")).text


async def test_marking_read_posts_to_the_service_with_the_csrf_token(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/inbox", {"items": [note("n1", True)]})
    fake.on("POST", "/api/v1/inbox/n1/read", note("n1", False))
    await sign_in(console)
    page = (await console.get("/inbox")).text
    assert (await console.post("/inbox/n1/read", data={})).status_code == 403
    r = await console.post("/inbox/n1/read", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    assert fake.sent[-1].url.path == "/api/v1/inbox/n1/read"
    assert fake.sent[-1].headers["authorization"].startswith("Bearer ")
    # someone else's notification (the service says 404) is a page that does not exist
    fake.on("POST", "/api/v1/inbox/n9/read", {"code": "not-found", "title": "x"}, status=404)
    r = await console.post("/inbox/n9/read", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 404


async def test_no_count_when_nothing_is_unread_or_the_service_is_down(
    console: httpx.AsyncClient, fake: Any
) -> None:
    await sign_in(console)
    fake.on("GET", "/api/v1/inbox", {"items": [note("n2", False)]})
    assert (await console.get("/inbox/unread")).text.strip() == ""
    fake.on("GET", "/api/v1/inbox", {"code": "unavailable", "title": "Down"}, status=503)
    assert (await console.get("/inbox/unread")).text.strip() == ""
    page = await console.get("/inbox")
    assert page.status_code == 200 and "Down" in page.text
