"""Input that used to crash a service: a NUL, a lone surrogate, a date at the end of time, a
body of megabytes. Each is answered with problem+json (400, 413 or 422) by every service, and
nothing is written: no case, no half-done command."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llwybr.stack import Stack
from tests.system.test_referral import CARDIFF, referral

pytestmark = pytest.mark.system

SERVICES = ("referral", "health-liaison", "notifications")


@pytest.fixture(scope="module")
def officer(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}


async def raw_post(stack: Stack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        return await http.post(
            "/api/v1/referrals",
            content=body,
            headers={**headers, "content-type": "application/json"},
        )


async def case_count(stack: Stack, headers: dict[str, str], family_name: str) -> int:
    """Cases whose learner has this family name, by the duplicate check: a second referral of
    the same learner answers 409 only if the first was stored."""
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=30) as http:
        r = await http.get("/api/v1/cases", headers=headers, params={"limit": 200})
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


def expect_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["code"]
    return body


@pytest.mark.parametrize(
    "poison",
    [
        '"Jones\\u0000"',  # NUL
        '"Jones\\ud800"',  # lone high surrogate
        '"\\udc80Jones"',  # lone low surrogate
    ],
)
async def test_a_referral_with_an_unstorable_name_is_422_and_stores_nothing(
    running: Stack, officer: dict[str, str], poison: str
) -> None:
    before = await case_count(running, officer, "")
    body = json.dumps(referral()).replace('"Jones-', poison[:-1] + "-", 1)
    problem = expect_problem(await raw_post(running, body.encode(), officer), 422)
    assert problem["errors"][0]["field"] == "body.learner.family_name"
    assert await case_count(running, officer, "") == before


@pytest.mark.parametrize("field", ["date_of_birth", "received_on"])
async def test_a_date_at_the_end_of_time_is_422(
    running: Stack, officer: dict[str, str], field: str
) -> None:
    body = referral()
    if field == "date_of_birth":
        body["learner"]["date_of_birth"] = "9999-12-31"
    else:
        body[field] = "9999-12-31"
    r = await raw_post(running, json.dumps(body).encode(), officer)
    problem = expect_problem(r, 422)
    assert any(field in e["field"] for e in problem["errors"]), problem


async def test_a_body_of_five_megabytes_is_413_before_it_is_parsed(
    running: Stack, officer: dict[str, str]
) -> None:
    body = referral(concern="x" * 5_000_000)
    expect_problem(await raw_post(running, json.dumps(body).encode(), officer), 413)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_answers_a_nul_in_a_path_or_query_with_problem_json(
    running: Stack, officer: dict[str, str], service: str
) -> None:
    async with httpx.AsyncClient(base_url=running.url_of(service), timeout=30) as http:
        r = await http.get("/api/v1/cases/abc%00def", headers=officer)
        expect_problem(r, 400)
        r = await http.get("/api/v1/x", headers=officer, params={"cursor": "a\x00b"})
        expect_problem(r, 422)
