"""The whole embedded stack, every component its own process, started once per session."""

from collections.abc import Callable, Iterator

import pytest

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
