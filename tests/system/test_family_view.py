"""The family view in a real browser on the whole stack: an LA's no-ALN decision is emailed to the
family with their signed link; the link opens their case (no sign-in) in Welsh, the language
the family asked for, in a browser set to English, then in English by the page's switch, with
the clocks in plain words and the right of appeal with its deadline; a tampered link gets the
bilingual page that names no case. axe-core at WCAG 2.2 AA on each; screenshots kept."""

import html
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from llwybr.stack import Stack
from llwybr_common.wales import today_in_wales
from tests.integration.helpers import eventually
from tests.system.test_console import accessible, browser_page
from tests.system.test_notifications import mail_about

pytestmark = pytest.mark.system

CARDIFF = "W06000015"


@pytest.mark.timeout(900)  # the session's stack may start inside this test (slow when shared)
async def test_the_family_follows_their_case_from_the_link_in_their_notice(
    running: Stack, token: Callable[..., str], browser: Browser, artefacts: Path
) -> None:
    today = today_in_wales()
    officer = {"Authorization": f"Bearer {token('la-officer', f'la:{CARDIFF}')}"}
    family_email = f"teulu-{uuid.uuid4().hex[:8]}@example.cymru"
    body = {
        "source": "parent",
        "received_on": (today - timedelta(days=30)).isoformat(),
        "learner": {
            "given_name": "Gwenllian",
            "family_name": f"Owen-{uuid.uuid4().hex[:8]}",
            "date_of_birth": "2016-09-14",
            "preferred_language": "cy",
        },
        "authority": CARDIFF,
        "concern": "Reading well below age",
        "family_contact": {"name": "Nia Owen", "email": family_email},
    }
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as referral:
        r = await referral.post("/api/v1/referrals", json=body, headers=officer)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        decision = {
            "outcome": "no-aln",
            "decided_on": today.isoformat(),
            "notice_given_on": today.isoformat(),
        }
        decided = await eventually(
            lambda: referral.post(
                f"/api/v1/cases/{case_id}/decision", json=decision, headers=officer
            ),
            lambda r: r.status_code != 503,
            within=60,
        )
        assert decided.status_code == 200, decided.text

        async def kinds() -> set[str]:
            r = await referral.get(f"/api/v1/cases/{case_id}", headers=officer)
            return {e["kind"] for e in r.json()["timeline"]}

        # The page shows what the referral service has heard of the journey: its window too.
        assert "AppealWindowOpened" in await eventually(
            kinds, lambda k: "AppealWindowOpened" in k, within=90
        )

    async def notices() -> list[EmailMessage]:
        return [m for m in mail_about(running.home / "mail", case_id) if m["To"] == family_email]

    [notice] = await eventually(notices, bool, within=120, every=0.5)
    plain = notice.get_body(("plain",))
    assert plain is not None
    [link] = re.findall(r"http\S+/family/\S+", plain.get_content())
    assert link.startswith(running.url_of("console"))

    # A browser set to English: the page still opens in the family's language, Welsh.
    async with browser_page(
        browser, artefacts / "console-family-failed.png", locale="en-GB"
    ) as page:
        response = await page.goto(link)
        assert response is not None and response.status == 200
        assert await page.get_attribute("html", "lang") == "cy"
        assert await page.locator("h1").inner_text() == "Achos Gwenllian"

        async def shown() -> str:
            return html.unescape(await page.locator("main").inner_text())

        text = await shown()
        assert "nad oes gan Gwenllian anghenion dysgu ychwanegol" in text
        assert "Os ydych yn anghytuno, gallwch apelio i Dribiwnlys Addysg Cymru hyd at" in text
        assert "Cysylltwch â thîm anghenion dysgu ychwanegol Caerdydd" in text
        assert "Nia Owen" not in text and family_email not in text and "Owen-" not in text
        await accessible(page, "family-cy", artefacts)

        await page.get_by_role("link", name="English", exact=True).click()
        await page.wait_for_url(link)
        assert await page.get_attribute("html", "lang") == "en"
        text = await shown()
        assert "Gwenllian's case" in text and "Education Tribunal for Wales until" in text
        assert "You: you can appeal to the Education Tribunal for Wales." in text
        await accessible(page, "family-en", artefacts)

        tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        response = await page.goto(tampered)
        assert response is not None and response.status == 404
        text = await shown()
        assert "This link cannot be opened" in text and "Ni ellir agor y ddolen hon" in text
        assert case_id not in text and "Gwenllian" not in text
        await accessible(page, "family-link-invalid", artefacts)
