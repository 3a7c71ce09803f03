"""The manager's dashboard in a real browser on the whole stack (the session's stack and
Chromium, shared with the other console tests): Cardiff decides one case in time and one late,
and leaves a third overdue; insight counts them from the events, and the LA manager sees this
month's decisions within time, the two breaches (one still open) in the breach table, a chart
drawn over each table by the console's own Chart.js, and the table as a CSV in the same layout
(its figures suppressed, as every file leaving Llwybr is). The board's ALN lead sees its
figures by authority. axe-core at WCAG 2.2 AA in Welsh and English, with screenshots kept as
test artefacts."""

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from llwybr.stack import Stack
from llwybr_common.wales import today_in_wales
from tests.integration.helpers import eventually
from tests.system.test_console import CARDIFF, api, browser_page, refer
from tests.system.test_console_pages import both_languages, sign_in_as
from tests.system.test_notifications import breached_start

pytestmark = pytest.mark.system


async def decide(stack: Stack, officer: str, case_id: str, on: str) -> None:
    """A no-ALN decision with its notice today: the la-decision clock is met at once."""
    body = {"outcome": "no-aln", "decided_on": on, "notice_given_on": on}
    path = f"/api/v1/cases/{case_id}/decision"

    async def post() -> httpx.Response:
        return await api(stack, "referral", "POST", path, officer, json=body)

    done = await eventually(post, lambda r: r.status_code == 200, within=90, every=1)
    assert done.status_code == 200, done.text


async def cells(page: Page, table: str, key: str) -> list[str]:
    row = page.locator(f'#{table}-table tr[data-key="{key}"]')
    return [c.strip() for c in await row.locator("th, td").all_inner_texts()]


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_the_manager_reads_timeliness_on_the_dashboard(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    today = today_in_wales()
    officer = token("la-officer", f"la:{CARDIFF}", subject="la-officer.cardiff")
    manager = token("la-manager", f"la:{CARDIFF}", subject="la-manager.cardiff")
    auth = {"Authorization": f"Bearer {officer}"}
    in_time = await refer(running, auth, (today - timedelta(days=20)).isoformat())
    late = await refer(running, auth, (today - timedelta(days=120)).isoformat())
    overdue = await refer(running, auth, breached_start(today).isoformat())
    for case_id in (in_time, late):
        await decide(running, officer, case_id, today.isoformat())

    async def figures() -> dict[str, Any]:
        r = await api(
            running,
            "insight",
            "GET",
            "/api/v1/insight/timeliness",
            manager,
            params={"rule": "la-decision", "group_by": "month"},
        )
        assert r.status_code == 200, r.text
        total: dict[str, Any] = r.json()["rules"][0]["total"]
        return total

    def counted(total: dict[str, Any]) -> bool:
        # The late case is a breach while still open too: wait for its decision (met_on) to
        # reach insight, or the page may be read before the month counts it.
        named = {b["case_id"]: b for b in total["breach_list"]}
        decided_late = late in named and named[late]["met_on"] is not None
        return decided_late and overdue in named and total["within_time"] >= 1

    total = await eventually(figures, counted, within=120, every=1)
    assert counted(total), total
    month = today.strftime("%Y-%m")

    console = running.url_of("console")
    async with browser_page(
        browser, artefacts / "console-dashboard-failed.png", locale="en-GB", accept_downloads=True
    ) as page:
        await sign_in_as(page, console, "Rhian Morgan", "Sign in as")
        await page.get_by_role("link", name="Dashboard").click()
        await page.wait_for_url(f"{console}/dashboard")
        assert "Figures for Cardiff" in await page.locator("#dashboard-scope").inner_text()

        # This month: the in-time decision counted within time, the late one not.
        row = await cells(page, "months", month)
        decided, within = int(row[1]), int(row[2])
        assert decided >= 2 and 1 <= within < decided
        assert row[3] == f"{round(100.0 * within / decided, 1):g}%"
        # The breaches: the late decision with its date, the overdue case still open.
        late_row = await cells(page, "breaches", late)
        assert late_row[1].startswith("Local authority") and int(late_row[4]) > 0
        assert (await cells(page, "breaches", overdue))[3] == "Still open"
        assert await page.locator(f'#breaches-table a[href="/cases/{late}"]').count()

        # Each chart drawn by the console's own Chart.js over its table.
        drawn = await page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".map(c => [c.id, !!Chart.getChart(c)])"
        )
        assert ["months-chart", True] in drawn and all(ok for _, ok in drawn), drawn
        await both_languages(page, "dashboard", artefacts)

        # The table's CSV: its layout, with insight's export's figures (a file leaves Llwybr:
        # a count under 5, and any that would reveal one, is *); the breaches, naming cases,
        # are not a file at all.
        async with page.expect_download() as download_info:
            await page.locator("#months-csv").click()
        download = await download_info.value
        body = await asyncio.to_thread(Path(await download.path()).read_text, "utf-8-sig")
        rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
        assert rows["Month"][:2] == ["Month", "Decisions"]
        for shown, filed in ((decided, rows[month][1]), (within, rows[month][2])):
            assert filed == "*" if shown < 5 else filed in ("*", str(shown))
        assert late not in body and overdue not in body
        assert not await page.locator('a[href^="/dashboard/breaches.csv"]').count()

    # --- the board's ALN lead: the same page, its health answers by local authority ---------
    async with browser_page(
        browser, artefacts / "console-dashboard-board-failed.png", locale="cy-GB"
    ) as page:
        await sign_in_as(page, console, "Nia Williams", "Mewngofnodi fel")
        await page.goto(f"{console}/dashboard")
        assert "Fesul awdurdod lleol" in await page.locator("#groups-heading").inner_text()
        assert "Bwrdd Iechyd" in await page.locator("#dashboard-scope").inner_text()
        await both_languages(page, "dashboard-board", artefacts)
