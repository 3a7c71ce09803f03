"""The console's further pages in a real browser on the whole stack (the session's stack and
Chromium, shared with test_console.py): the LA officer withdraws a health request, opens the
case's plan, writes a section and a vague outcome (flagged), issues it and opens its PDF; the
advocate, by keyboard alone, signs in and accepts a case handed to SNAP Cymru, then sees the
case withheld once the family's consent is withdrawn; the head of service reads an alert in
their notifications inbox, the unread count in the header; sign-in, the new referral form
(the API's refusal beside its field, then a case opened), home and page-not-found. axe-core at
WCAG 2.2 AA on every page in Welsh and English, with a screenshot of each kept as a test
artefact."""

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from llwybr.stack import Stack
from llwybr_common.wales import today_in_wales
from tests.integration.helpers import eventually
from tests.system.test_console import CARDIFF, accessible, api, browser_page, refer
from tests.system.test_notifications import breached_start

pytestmark = pytest.mark.system

SNAP = "advocacy:snap-cymru"


async def both_languages(page: Page, name: str, artefacts: Path, keyboard: bool = False) -> None:
    """axe on the page in the language it is in, then in the other (the switch on every page),
    leaving it in the language it started in; `keyboard`: the switch reached by Tab, taken by
    Enter."""
    first = await page.get_attribute("html", "lang")
    other = "en" if first == "cy" else "cy"
    await accessible(page, f"{name}-{first}", artefacts)
    for lang in (other, first):
        switch = f'a[hreflang="{lang}"]'
        if keyboard:
            await tab_to(page, switch)
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
        else:
            await page.locator(switch).first.click()
        await page.wait_for_function(f"document.documentElement.lang === '{lang}'")
        if lang == other:
            await accessible(page, f"{name}-{other}", artefacts)


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Press Tab until the element `selector` has the focus (the keyboard, nothing else)."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def set_up_case(running: Stack, token: Callable[..., str]) -> dict[str, str]:
    """Through the APIs: a Cardiff case with an s.20 request open, decided ALN (so its plan
    may be drafted), the family's consent to SNAP Cymru and a handoff to it."""
    today = today_in_wales().isoformat()
    officer = token("la-officer", f"la:{CARDIFF}", subject="la-officer.cardiff")
    declo = token("declo", "board:W11000029", subject="declo.cav")
    case_id = await refer(running, {"Authorization": f"Bearer {officer}"}, today)
    path = f"/api/v1/cases/{case_id}"

    async def ask() -> httpx.Response:
        body = {"json": {"reason": "Speech"}}
        return await api(running, "referral", "POST", f"{path}/health-requests", officer, **body)

    asked = await eventually(ask, lambda r: r.status_code == 202, within=60)  # journey starting
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["request_id"]

    async def arrived() -> int:
        url = f"/api/v1/health-requests/{request_id}"
        return (await api(running, "health-liaison", "GET", url, declo)).status_code

    assert await eventually(arrived, lambda s: s == 200, within=60) == 200
    decision = {"outcome": "aln", "decided_on": today}
    decided = await api(running, "referral", "POST", f"{path}/decision", officer, json=decision)
    assert decided.status_code == 200, decided.text
    consent = {
        "provider": SNAP,
        "given_by": "parent",
        "shares": ["decisions-and-clocks"],
        "valid_from": today,
    }
    given = await api(
        running, "advocacy", "POST", f"{path}/advocacy-consents", officer, json=consent
    )
    assert given.status_code == 201, given.text
    handoff = {"provider": SNAP, "reason": "disagreement"}
    made = await api(
        running, "advocacy", "POST", f"{path}/advocacy-handoffs", officer, json=handoff
    )
    assert made.status_code == 201, made.text
    return {
        "case_id": case_id,
        "request_id": request_id,
        "consent_id": given.json()["consent_id"],
        "handoff_id": made.json()["handoff_id"],
        "officer": officer,
    }


async def sign_in_as(page: Page, console: str, name: str, button: str) -> None:
    await page.goto(f"{console}/sign-in")
    await page.get_by_role("button", name=f"{button} {name}").click()
    await page.wait_for_load_state()


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_the_officer_the_advocate_and_the_head_of_service_in_the_browser(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    setup = await set_up_case(running, token)
    case_id, request_id = setup["case_id"], setup["request_id"]
    # An alert for the head of service: a referral received so long ago its decision is late.
    late = await refer(
        running,
        {"Authorization": f"Bearer {setup['officer']}"},
        breached_start(today_in_wales()).isoformat(),
    )
    console = running.url_of("console")
    async with browser_page(
        browser, artefacts / "console-pages-officer-failed.png", locale="cy-GB"
    ) as page:
        # --- the LA officer (Siân Evans prefers Welsh) ------------------------------------
        await sign_in_as(page, console, "Siân Evans", "Mewngofnodi fel")
        await page.goto(f"{console}/cases/{case_id}")
        timeline = await page.locator("#timeline + table").inner_text()
        assert "->" not in timeline and "decision-pending" not in timeline  # words, not codes
        assert "Ddim mewn ysgol" in timeline
        await both_languages(page, "case-withdraw", artefacts)

        await page.get_by_text("Tynnu'r cais hwn yn ôl", exact=True).click()
        form = page.locator(f"#withdraw-{request_id}-form")
        await form.get_by_label("Pam ei fod yn cael ei dynnu'n ôl (dewisol)").fill("Wedi symud")
        async with page.expect_navigation(timeout=90_000):
            await form.get_by_role("button", name="Tynnu'r cais yn ôl").click()
        problem = page.locator(".govuk-error-summary")
        assert not await problem.count(), await problem.inner_text()
        await page.get_by_text("Tynnwyd y cais am wybodaeth iechyd yn ôl.").wait_for()

        # The plan: the draft opens once the journey's ALN decision has reached the idp service.
        await page.locator("#idp-link").click()
        await page.wait_for_url(f"{console}/cases/{case_id}/idp")
        await both_languages(page, "idp-none", artefacts)

        async def draft() -> str:
            await page.goto(f"{console}/cases/{case_id}/idp")
            if "/idps/" in page.url:
                return page.url
            await page.get_by_label("Cymraeg", exact=True).check()
            await page.get_by_role("button", name="Dechrau'r cynllun").click()
            await page.wait_for_load_state()
            return page.url

        plan_url = await eventually(draft, lambda u: "/idps/" in u, within=60, every=1)
        assert "/idps/" in plan_url, await page.locator("main").inner_text()

        await page.locator('a[href$="/sections/profile"]').click()
        await both_languages(page, "idp-section", artefacts)  # (a reload: before typing)
        await page.get_by_label("Yr hyn sy'n bwysig i mi").fill("Fy nghi, Mot, a phêl-droed")
        await page.get_by_role("button", name="Cadw").click()
        await page.get_by_text("Cadwyd yr adran.").wait_for()
        assert "Fy nghi, Mot, a phêl-droed" in await page.locator("main").inner_text()
        await page.locator('a[href$="/sections/aln-description"]').click()
        description = page.get_by_label("Disgrifiad o'r anghenion dysgu ychwanegol")
        await description.fill("Anawsterau darllen a lleferydd")
        await page.get_by_role("button", name="Cadw").click()
        await page.get_by_text("Cadwyd yr adran.").wait_for()

        await page.get_by_role("link", name="Ychwanegu eitem darpariaeth").click()
        item = page.locator("#item-form")
        await both_languages(page, "idp-item", artefacts)
        await item.get_by_label("Canlyniad", exact=True).fill("Gwella hyder wrth ddarllen")
        await item.get_by_label("Darpariaeth ddysgu ychwanegol").fill("Grŵp ffoneg bach")
        await item.get_by_label("Pwy sy'n ei darparu").select_option("school")
        await item.get_by_role("button", name="Cadw").click()
        await page.get_by_text("Cadwyd yr eitem darpariaeth.").wait_for()
        card = page.locator("[data-item-id]").last
        flags = (await card.get_attribute("data-flags") or "").split()
        assert "vague-wording" in flags and "no-measure" in flags  # a direction, no measure
        assert "Canlyniad amwys" in await card.inner_text()
        await both_languages(page, "idp-plan", artefacts)

        await page.get_by_text("Cyhoeddi'r cynllun", exact=True).first.click()
        async with page.expect_navigation(timeout=90_000):
            await page.locator("#issue-form").get_by_role("button").click()
        await page.get_by_text("Cyhoeddwyd fersiwn 1 o'r cynllun.").wait_for()
        await page.get_by_role("link", name="Fersiwn 1", exact=True).click()
        await both_languages(page, "idp-version", artefacts)
        href = await page.get_by_role("link", name="PDF yn Gymraeg", exact=True).get_attribute(
            "href"
        )
        pdf = await page.request.get(f"{console}{href}", timeout=120_000)
        assert pdf.status == 200, await pdf.text()
        assert pdf.headers["content-type"] == "application/pdf"
        assert (await pdf.body()).startswith(b"%PDF")
        await page.goto(f"{console}/idps")
        assert await page.locator(
            f'#idp-list tr[data-idp-id="{plan_url.rsplit("/", 1)[1]}"]'
        ).count()
        await both_languages(page, "idp-list", artefacts)
        await page.get_by_role("button", name="Allgofnodi").click()

    # --- the advocate (Owain Jenkins), by keyboard alone --------------------------------------
    async with browser_page(
        browser, artefacts / "console-pages-advocate-failed.png", locale="cy-GB"
    ) as page:
        handoff_id = setup["handoff_id"]
        await page.goto(f"{console}/sign-in")
        await tab_to(page, 'form:has(input[name="subject"][value="advocate.snap"]) button')
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await page.wait_for_url(f"{console}/advocacy")
        await both_languages(page, "advocacy-inbox", artefacts, keyboard=True)
        await tab_to(page, f'a[href="/advocacy/{handoff_id}"]')
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await page.locator("#consent").get_attribute("data-standing") == "true"
        await tab_to(page, "#accept-form summary")
        await page.keyboard.press("Enter")  # opens the details
        await tab_to(page, "#accept-form button")
        async with page.expect_navigation(timeout=90_000):
            await page.keyboard.press("Enter")
        await page.get_by_text("Rydych wedi derbyn yr achos.").wait_for()
        assert "advocate.snap" in await page.locator("main").inner_text()  # the advocate named
        await both_languages(page, "advocacy-case", artefacts, keyboard=True)

        withdraw = f"/api/v1/advocacy-consents/{setup['consent_id']}/withdraw"
        gone = await api(running, "advocacy", "POST", withdraw, setup["officer"], json={})
        assert gone.status_code == 200, gone.text
        await page.reload()
        assert await page.locator("#consent").get_attribute("data-standing") == "false"
        assert not await page.locator("#clock-table").count()
        assert "Nid yw caniatâd y teulu" in await page.locator("#consent").inner_text()
        await both_languages(page, "advocacy-case-no-consent", artefacts, keyboard=True)

    # --- the head of service (David Price prefers English): the alert in the inbox ------------
    head = token("head-of-service", f"la:{CARDIFF}", subject="head-of-service.cardiff")

    async def alerts() -> list[dict[str, Any]]:
        r = await api(running, "notifications", "GET", "/api/v1/inbox", head)
        return [i for i in r.json()["items"] if i["case_id"] == late and i["unread"]]

    assert await eventually(alerts, bool, within=60, every=0.5)
    async with browser_page(
        browser, artefacts / "console-pages-inbox-failed.png", locale="en-GB"
    ) as page:
        await sign_in_as(page, console, "David Price", "Sign in as")
        count = page.locator("#unread-count")  # the header's count, by htmx after the page
        await count.wait_for()
        before = int(await count.get_attribute("data-count") or 0)
        assert before >= 1 and f"{before} unread" in await count.inner_text()
        await page.get_by_role("link", name="Notifications").click()
        await page.wait_for_url(f"{console}/inbox")
        await both_languages(page, "inbox", artefacts)
        entry = page.locator(f'#inbox li[data-unread="true"]:has(a[href="/cases/{late}"])').first
        async with page.expect_navigation():
            await entry.get_by_role("button").click()
        await page.get_by_text("Marked as read.").wait_for()
        await page.locator("#unread-slot").wait_for(state="attached")
        after = page.locator("#unread-count")
        if before > 1:
            await after.wait_for()
            assert int(await after.get_attribute("data-count") or 0) == before - 1


async def fill_referral(page: Page, family_name: str, nhs_number: str) -> None:
    """A referral the API would take (a parent's, today, for a learner at no school), but for
    the NHS number, which the API judges."""
    today = today_in_wales()
    await page.locator("#source").check()  # the first choice: a parent
    for field, day in (("received_on", today), ("learner-date_of_birth", date(2017, 5, 2))):
        await page.locator(f"#{field}-day").fill(str(day.day))
        await page.locator(f"#{field}-month").fill(str(day.month))
        await page.locator(f"#{field}-year").fill(str(day.year))
    await page.locator("#learner-given_name").fill("Mabli")
    await page.locator("#learner-family_name").fill(family_name)
    await page.locator("#learner-nhs_number").fill(nhs_number)
    await page.locator("#concern").fill("Speech unclear; finds reading hard")


async def the_nhs_number_is_refused(page: Page, family_name: str, reason: str) -> None:
    """The GOV.UK error summary names the field and links to it; the same reason sits beside
    the field; following the link puts the focus in the field."""
    async with page.expect_navigation(timeout=90_000):
        await page.locator("form#form button").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    link = summary.locator('a[href="#learner-nhs_number"]')
    assert reason in await link.inner_text()
    beside = page.locator(".govuk-form-group--error:has(#learner-nhs_number) .govuk-error-message")
    assert reason in await beside.inner_text()
    assert await page.locator("#learner-family_name").input_value() == family_name  # kept
    await link.click()
    assert await page.evaluate("document.activeElement.id") == "learner-nhs_number"


@pytest.mark.timeout(900)
async def test_sign_in_the_new_referral_form_and_the_plain_pages_in_both_languages(
    running: Stack, browser: Browser, artefacts: Path
) -> None:
    """The pages no journey above reaches: sign-in, the new referral form (blank, with the
    API's refusal beside its field in Welsh and in English, then accepted), the home page and
    the page-not-found page, each checked by axe in both languages."""
    console = running.url_of("console")
    family_name = f"Rees-{uuid.uuid4().hex[:8]}"  # a new learner, not one a referral attaches to
    async with browser_page(
        browser, artefacts / "console-pages-forms-failed.png", locale="cy-GB"
    ) as page:
        await page.goto(f"{console}/sign-in")
        await both_languages(page, "sign-in", artefacts)
        await page.get_by_role("button", name="Mewngofnodi fel Siân Evans").click()
        await page.wait_for_url(f"{console}/cases")
        await page.get_by_role("link", name="Atgyfeiriad newydd").click()
        await page.wait_for_url(f"{console}/referrals/new")
        assert await page.locator("#authority").input_value() == CARDIFF  # her own authority
        await both_languages(page, "referral-form", artefacts)

        await fill_referral(page, family_name, "123 456 7890")  # its check digit does not match
        await the_nhs_number_is_refused(page, family_name, "nid yw hwn yn rhif GIG dilys")
        await accessible(page, "referral-form-errors-cy", artefacts)

        await page.locator('a[hreflang="en"]').first.click()
        await page.wait_for_function("document.documentElement.lang === 'en'")
        await fill_referral(page, family_name, "1234567890")
        await the_nhs_number_is_refused(page, family_name, "not a valid NHS number")
        await accessible(page, "referral-form-errors-en", artefacts)

        await page.locator("#learner-nhs_number").fill("")
        async with page.expect_navigation(timeout=90_000):
            await page.locator("form#form button").click()
        assert not await page.locator(".govuk-error-summary").count()
        assert "/cases/" in page.url
        await page.get_by_text("Referral received and a case opened.").wait_for()
        assert f"Mabli {family_name}" in await page.locator("main").inner_text()

        await page.goto(f"{console}/home")
        await both_languages(page, "home", artefacts)
        response = await page.goto(f"{console}/cases/no-such-case")
        assert response is not None and response.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
        await both_languages(page, "not-found", artefacts)
