"""A client that retries a POST after a lost answer gets the first answer again: one case, one
s.20 request, never a 409 against its own earlier request."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from llwybr.stack import Stack
from llwybr_common.idempotency import ABANDONED_AFTER
from tests.system.test_referral import CARDIFF, referral

pytestmark = pytest.mark.system


def headers_for(token: Callable[..., str], subject: str, key: str) -> dict[str, str]:
    bearer = token("la-officer", "la:" + CARDIFF, subject=subject)
    return {"Authorization": f"Bearer {bearer}", "Idempotency-Key": key}


async def post(stack: Stack, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=60) as http:
        return await http.post(path, json=body, headers=headers)


async def test_a_retried_referral_gets_the_first_answer_and_opens_one_case(
    running: Stack, token: Callable[..., str]
) -> None:
    h = headers_for(token, "officer-a", str(uuid.uuid4()))
    body = referral()
    first = await post(running, "/api/v1/referrals", body, h)
    assert first.status_code == 201, first.text
    again = await post(running, "/api/v1/referrals", body, h)
    assert again.status_code == 201, again.text
    assert again.json()["case_id"] == first.json()["case_id"]
    assert again.headers["idempotent-replayed"] == "true"
    # Without the key the same learner is a duplicate of the one case: nothing else was opened.
    plain = {"Authorization": h["Authorization"]}
    dup = await post(running, "/api/v1/referrals", body, plain)
    assert dup.status_code == 409, dup.text


async def test_the_same_key_with_another_body_is_refused(
    running: Stack, token: Callable[..., str]
) -> None:
    h = headers_for(token, "officer-b", str(uuid.uuid4()))
    assert (await post(running, "/api/v1/referrals", referral(), h)).status_code == 201
    other = await post(running, "/api/v1/referrals", referral(), {**h, "Accept-Language": "cy"})
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency-key-reused"
    assert other.json()["title"].startswith("Defnyddiwyd")


async def test_two_concurrent_twins_open_one_case(
    running: Stack, token: Callable[..., str]
) -> None:
    h = headers_for(token, "officer-c", str(uuid.uuid4()))
    body = referral()
    a, b = await asyncio.gather(
        post(running, "/api/v1/referrals", body, h), post(running, "/api/v1/referrals", body, h)
    )
    assert {a.status_code, b.status_code} == {201}, (a.text, b.text)
    assert a.json()["case_id"] == b.json()["case_id"]


async def test_keys_belong_to_their_caller(running: Stack, token: Callable[..., str]) -> None:
    key = str(uuid.uuid4())
    first = await post(
        running, "/api/v1/referrals", referral(), headers_for(token, "officer-d", key)
    )
    second = await post(
        running, "/api/v1/referrals", referral(), headers_for(token, "officer-e", key)
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["case_id"] != second.json()["case_id"]


async def forget_answer(stack: Stack, caller: str, key: str) -> None:
    """What a referral process killed after its route committed, before it stored the answer,
    leaves behind once ABANDONED_AFTER has passed: the key's row without an answer."""
    assert stack.endpoints is not None
    conn = await asyncpg.connect(stack.endpoints.database_url.replace("+asyncpg", "", 1))
    try:
        done = await conn.execute(
            "UPDATE referral.idempotency_keys SET status = NULL, body = '', headers = '[]', "
            "created_at = created_at - $3::interval WHERE caller = $1 AND key = $2",
            caller,
            key,
            ABANDONED_AFTER,
        )
        assert done == "UPDATE 1"
    finally:
        await conn.close()


async def test_a_retry_after_a_crash_before_the_answer_was_stored_gets_the_first_answer(
    running: Stack, token: Callable[..., str]
) -> None:
    key = str(uuid.uuid4())
    h = headers_for(token, "officer-f", key)
    body = referral()
    first = await post(running, "/api/v1/referrals", body, h)
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]
    await forget_answer(running, "officer-f", key)
    again = await post(running, "/api/v1/referrals", body, h)
    # Not 409 duplicate-referral against its own first attempt.
    assert again.status_code == 201, again.text
    assert again.json()["case_id"] == case_id
    assert again.json()["referral_id"] == first.json()["referral_id"]
    assert again.json()["attached"] is False

    # The same for an s.20 request: the retry reaches the journey with the first attempt's
    # update id, so it gets the first request back rather than a second request or a refusal.
    ask_key = str(uuid.uuid4())
    ask = {**h, "Idempotency-Key": ask_key}
    path = f"/api/v1/cases/{case_id}/health-requests"
    asked = await post(running, path, {"reason": "speech"}, ask)
    assert asked.status_code == 202, asked.text
    await forget_answer(running, "officer-f", ask_key)
    retried = await post(running, path, {"reason": "speech"}, ask)
    assert retried.status_code == 202, retried.text
    assert retried.json()["request_id"] == asked.json()["request_id"]
