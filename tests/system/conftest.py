"""The whole embedded stack, every component its own process, started once per session."""

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from llwybr.stack import Endpoints, Stack
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings


@pytest.fixture(scope="session")
def running(stack: Stack, infra: Endpoints) -> Iterator[Stack]:
    stack.start_components()  # every service, the worker and the bridge
    yield stack


@pytest.fixture(scope="session")
def token(running: Stack) -> Callable[..., str]:
    """`token("la-officer", "la:W06000015")`: a JWT the running stack accepts."""
    settings = Settings(home=running.home)

    def mint(role: str, *scopes: str, subject: str | None = None) -> str:
        return mint_token(
            settings, subject=subject or f"test-{role}", roles=[role], scopes=list(scopes)
        )

    return mint


# --- a real browser: Debian's Chromium driven by Playwright, one for the session ------------

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections are refused on a closed
# network and slow every page.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / ".llwybr-test-artifacts"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        b = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `./llwybr test` installs Debian's chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Screenshots and axe reports of the browser tests (gitignored)."""
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS
