"""Calendar admin in a real browser on the whole stack (the session's stack and Chromium): a
Cardiff officer uploads a school's closure day, sees the school day it removes, confirms, and
the journey's calendar API then serves the new version; the same file again previews as no
change, in Welsh. axe-core at WCAG 2.2 AA on the form (Welsh and English) and the previews,
screenshots kept as test artefacts.

The school reference is one no case uses, so the session's other tests count on the calendars
they always did."""

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser

from llwybr.stack import Stack
from tests.system.test_console import CARDIFF, accessible, api, browser_page
from tests.system.test_console_pages import both_languages, sign_in_as

pytestmark = pytest.mark.system

SCHOOL = "ysgol-prawf-calendr"
CLOSURE = b"start,end,kind\n2026-11-20,2026-11-20,closure\n"


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_an_officer_previews_and_imports_a_school_calendar(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    console = running.url_of("console")
    async with browser_page(
        browser, artefacts / "console-calendars-failed.png", locale="en-GB"
    ) as page:

        async def upload() -> None:
            await page.locator("#school").fill(SCHOOL)
            await page.locator("#format").check()  # the first choice: CSV
            await page.locator("#calendar").set_input_files(
                {"name": "closure.csv", "mimeType": "text/csv", "buffer": CLOSURE}
            )
            await page.locator("form#form button").click()
            await page.wait_for_load_state()

        await sign_in_as(page, console, "Siân Evans", "Sign in as")
        await page.goto(f"{console}/language/en?next=/cases")
        await page.get_by_role("link", name="Calendars").click()
        await page.wait_for_url(f"{console}/calendars")
        assert await page.locator("#authority").input_value() == CARDIFF
        await both_languages(page, "calendars", artefacts)

        await upload()
        assert "Calendar preview: Cardiff" in await page.locator("h1").inner_text()
        removed = await page.locator("#days-removed-table tbody").inner_text()
        assert removed.strip() == "20 November 2026"
        assert "None" in await page.locator("#days-added-table tbody").inner_text()
        await accessible(page, "calendar-preview-en", artefacts)

        await page.get_by_role("button", name="Confirm and import").click()
        await page.wait_for_url(f"{console}/calendars?authority={CARDIFF}")
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert "Calendar imported: version cal-" in banner
        shown = await api(
            running, "worker", "GET", f"/api/v1/calendars/{CARDIFF}",
            token("la-officer", f"la:{CARDIFF}"), params={"school": SCHOOL},
        )  # fmt: skip
        assert shown.status_code == 200, shown.text
        version = shown.json()["current"]["version"]
        assert f"version {version}" in banner
        assert shown.json()["changes"][0]["school"] == SCHOOL

        # The same file again, in Welsh: nothing would change.
        await page.locator('a[hreflang="cy"]').first.click()
        await page.wait_for_function("document.documentElement.lang === 'cy'")
        await upload()
        assert "Caerdydd" in await page.locator("h1").inner_text()
        assert "rhoi'r un diwrnodau ysgol" in await page.locator(".govuk-warning-text").inner_text()
        await accessible(page, "calendar-preview-cy", artefacts)
