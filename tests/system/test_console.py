"""The console in a real browser (Debian's Chromium, Playwright) on the whole stack: an LA
officer signs in, sees the cases sorted by due date, opens one, records a no-ALN decision with
its notice date and sees the clock met and the appeal window open. axe-core checks every page
visited, in Welsh and in English, at WCAG 2.2 AA; screenshots are kept as test artefacts."""

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from llwybr.stack import Stack
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.clock import StatutoryClock
from llwybr_common.wales import today_in_wales
from llwybr_contracts.vocabulary import RuleId
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF = "W06000015"
AXE = (
    Path(__file__).resolve().parents[2]
    / "services/console/src/console/static/vendor/axe-core-4.14.1/axe.min.js"
)
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@asynccontextmanager
async def browser_page(browser: Browser, failed: Path, **context: Any) -> AsyncIterator[Page]:
    """A page in a browser context of its own (`context`: its locale and the like); if the test
    fails on it, a screenshot of the page as it was is kept at `failed`."""
    browser_context = await browser.new_context(**context)
    page = await browser_context.new_page()
    try:
        yield page
    except Exception:
        await page.screenshot(path=failed, full_page=True)
        raise
    finally:
        await browser_context.close()


async def accessible(page: Page, name: str, artefacts: Path) -> None:
    """axe-core on the page as it is now: no violation at WCAG 2.2 AA. The screenshot and, on
    failure, axe's report are kept under the artefacts folder."""
    await page.screenshot(path=artefacts / f"console-{name}.png", full_page=True)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_22_AA,
    )
    violations = result["violations"]
    if violations:
        (artefacts / f"console-{name}.axe.json").write_text(json.dumps(violations, indent=1))
    assert not violations, [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations
    ]


async def refer(stack: Stack, headers: dict[str, str], received_on: str) -> str:
    body = {
        "source": "parent",
        "received_on": received_on,
        "learner": {
            "given_name": "Cai",
            "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2017-05-02",
            "preferred_language": "cy",
        },
        "authority": CARDIFF,
        "concern": "Reading well below age; speech unclear",
    }
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        r = await http.post("/api/v1/referrals", json=body, headers=headers)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def listed(stack: Stack, headers: dict[str, str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        r = await http.get("/api/v1/cases", headers=headers, params={"limit": 500})
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_an_la_officer_records_a_no_aln_decision_in_the_browser(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    today = today_in_wales()
    # Three cases of Siân Evans's authority, each LA-decided (not at school), received on
    # different days, so their 12-week clocks fall due in a known order.
    officer = {
        "Authorization": f"Bearer {token('la-officer', f'la:{CARDIFF}', subject='la-officer.cardiff')}"
    }
    received = [today - timedelta(days=d) for d in (20, 60, 40)]
    cases = [await refer(running, officer, day.isoformat()) for day in received]
    soonest_first = [cases[1], cases[2], cases[0]]

    def projected(items: list[dict[str, Any]]) -> bool:
        due = {i["case_id"]: i["next_due"] for i in items}
        return all(due.get(c) for c in cases)

    assert projected(await eventually(lambda: listed(running, officer), projected, within=60))

    async with browser_page(browser, artefacts / "console-failed.png", locale="cy-GB") as page:
        console = running.url_of("console")
        await page.goto(f"{console}/cases")
        assert "/sign-in" in page.url  # signed out: to the sign-in page
        assert await page.get_attribute("html", "lang") == "cy"
        await accessible(page, "sign-in-cy", artefacts)

        await page.get_by_role("button", name="Mewngofnodi fel Siân Evans").click()
        await page.wait_for_url(f"{console}/cases")
        await accessible(page, "worktray-cy", artefacts)

        # Sorted by nearest due date: this officer's three cases in their clocks' order, and
        # every row's next due date no earlier than the one above it.
        rows = page.locator("#worktray tbody tr")
        ids = [await r.get_attribute("data-case-id") for r in await rows.all()]
        assert [i for i in ids if i in cases] == soonest_first
        dues = [await r.get_attribute("data-next-due") or "9999" for r in await rows.all()]
        assert dues == sorted(dues)

        await page.get_by_role("link", name="English", exact=True).click()
        await page.wait_for_url(f"{console}/cases")
        assert await page.get_attribute("html", "lang") == "en"
        await accessible(page, "worktray-en", artefacts)

        case_id = soonest_first[0]
        await page.locator(f'#worktray tr[data-case-id="{case_id}"] a').click()
        await page.wait_for_url(f"{console}/cases/{case_id}")
        clock = page.locator('#clock-table tr[data-rule="la-decision"]')
        assert await clock.get_attribute("data-tag") in ("running", "at-risk")
        await accessible(page, "case-en", artefacts)

        await record_no_aln_today(page)
        assert page.url == f"{console}/cases/{case_id}"
        await accessible(page, "case-decided-en", artefacts)

        await page.get_by_role("link", name="Cymraeg", exact=True).click()
        await page.wait_for_url(f"{console}/cases/{case_id}")
        assert await page.get_attribute("html", "lang") == "cy"
        assert "Wedi'i gwblhau" in await clock.inner_text()
        await accessible(page, "case-decided-cy", artefacts)


async def record_no_aln_today(page: Page) -> None:
    """On an open case page, in English: record no ALN with today's notice date, then see the
    decision clock met and the family's appeal window open."""
    today = today_in_wales()
    await page.get_by_text("Record the decision", exact=True).first.click()
    form = page.locator("#record-decision-form")
    await form.get_by_label("The learner does not have ALN").check()
    for field in ("decided_on", "notice_given_on"):
        await form.locator(f"#record-decision-{field}-day").fill(str(today.day))
        await form.locator(f"#record-decision-{field}-month").fill(str(today.month))
        await form.locator(f"#record-decision-{field}-year").fill(str(today.year))
    async with page.expect_navigation(timeout=90_000):  # the journey's update, under load
        await form.get_by_role("button", name="Record the decision").click()
    problem = page.locator(".govuk-error-summary")
    assert not await problem.count(), await problem.inner_text()
    await page.get_by_text("Decision recorded.").wait_for()
    clock = page.locator('#clock-table tr[data-rule="la-decision"]')
    assert await clock.get_attribute("data-tag") == "met"
    appeal = page.locator('#clock-table tr[data-rule="tribunal-appeal"]')
    assert await appeal.get_attribute("data-tag") in ("running", "at-risk")
    assert "The family may appeal" in await appeal.inner_text()


async def api(stack: Stack, service: str, method: str, path: str, token: str, **kw: Any) -> Any:
    async with httpx.AsyncClient(base_url=stack.url_of(service), timeout=30) as http:
        r = await http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
    return r


@pytest.mark.timeout(900)
async def test_the_declo_answers_in_the_browser_and_the_officer_sees_the_health_input(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    officer = token("la-officer", f"la:{CARDIFF}", subject="la-officer.cardiff")
    declo = token("declo", "board:W11000029", subject="declo.cav")
    case_id = await refer(
        running, {"Authorization": f"Bearer {officer}"}, today_in_wales().isoformat()
    )

    async def ask() -> httpx.Response:
        path = f"/api/v1/cases/{case_id}/health-requests"
        return await api(running, "referral", "POST", path, officer, json={"reason": "Speech"})

    asked = await eventually(ask, lambda r: r.status_code == 202, within=60)  # journey starting
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["request_id"]

    async def arrived() -> int:
        path = f"/api/v1/health-requests/{request_id}"
        return (await api(running, "health-liaison", "GET", path, declo)).status_code

    assert await eventually(arrived, lambda s: s == 200, within=60) == 200

    console = running.url_of("console")
    async with browser_page(
        browser, artefacts / "console-declo-failed.png", locale="en-GB"
    ) as page:
        await page.goto(f"{console}/sign-in")
        await page.get_by_role("button", name="Sign in as Gareth Lewis").click()
        await page.wait_for_url(f"{console}/health-requests")
        assert await page.get_attribute("html", "lang") == "cy"  # Gareth prefers Welsh
        row = page.locator(f'#declo-inbox tr[data-request-id="{request_id}"]')
        # Regs reg 11: six weeks, moved to the next working day when they end on a day off.
        today = today_in_wales()
        snapshot = bank_holiday_snapshot(today.year, today.year + 1)
        due = StatutoryClock(rule=RuleId.HEALTH_RESPONSE, start=today, calendar=snapshot).due()
        assert due is not None
        assert f"{(due - today).days} diwrnod ar ôl" in await row.inner_text()
        await accessible(page, "declo-inbox-cy", artefacts)

        await page.get_by_role("link", name="English", exact=True).click()
        await page.wait_for_url(f"{console}/health-requests")
        await accessible(page, "declo-inbox-en", artefacts)
        await row.get_by_role("link").click()
        await page.wait_for_url(f"{console}/health-requests/{request_id}")
        for lang in ("cy", "en"):  # the request page in Welsh too, then back to English
            await page.locator(f'a[hreflang="{lang}"]').first.click()
            await page.wait_for_function(f"document.documentElement.lang === '{lang}'")
            await accessible(page, f"declo-request-page-{lang}", artefacts)
        await page.get_by_text("Answer the request", exact=True).click()
        form = page.locator("#respond-form")
        await form.get_by_label("There is a treatment or service likely to be of benefit").check()
        await form.get_by_label("The treatment or service").fill("Speech and language therapy")
        await (
            form.get_by_role("group", name="Should the service be delivered in Welsh?")
            .get_by_label("Yes")
            .check()
        )
        await accessible(page, "declo-request-en", artefacts)
        async with page.expect_navigation(timeout=90_000):
            await form.get_by_role("button", name="Send the answer").click()
        problem = page.locator(".govuk-error-summary")
        assert not await problem.count(), await problem.inner_text()
        await page.get_by_text("Answer sent to the local authority or school.").wait_for()

        # The officer's case page: the NHS body's answer, and its 6-week clock met once the
        # journey hears of it (Kafka, the bridge, a signal).
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("button", name="Sign in as Siân Evans").click()
        await page.goto(f"{console}/cases/{case_id}")
        health = page.locator(f'[data-health-request="{request_id}"]')
        assert await health.get_attribute("data-status") == "responded"
        assert "Speech and language therapy" in await health.inner_text()

        async def clock_met() -> str | None:
            await page.reload()
            return await page.locator('#clock-table tr[data-rule="health-response"]').get_attribute(
                "data-tag"
            )

        assert await eventually(clock_met, lambda tag: tag == "met", within=60, every=1) == "met"
        await accessible(page, "case-health-answered-en", artefacts)


async def test_every_services_api_documents_load_with_no_other_host(
    running: Stack, browser: Browser, artefacts: Path
) -> None:
    """Swagger UI and ReDoc with every request to another host refused, as on a council
    network that blocks CDNs: the pages still draw the API."""
    context = await browser.new_context()
    page = await context.new_page()
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_local)
    try:
        for service in ("referral", "idp", "health-liaison", "notifications", "advocacy"):
            await page.goto(f"{running.url_of(service)}/docs")
            await page.locator(".swagger-ui .info .title").wait_for(timeout=60_000)
        await page.goto(f"{running.url_of('referral')}/redoc")
        await page.get_by_role("heading", name="Llwybr referral").first.wait_for(timeout=60_000)
        await page.screenshot(path=artefacts / "referral-redoc.png")
        assert not outside, outside
    finally:
        await context.close()
