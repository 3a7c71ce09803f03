"""A write PostgreSQL refuses leaves no personal data in any log, span or answer.

A NUL character passes the API's validation but PostgreSQL refuses it in text; the failing
statement's parameters hold the child's names, date of birth and NHS number, or the referral's
free text. None of them may reach the service logs, the span file, PostgreSQL's own log or the
HTTP answer.
"""

import asyncio
import random
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from llwybr.stack import Stack
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

CARDIFF = "W06000015"


def nhs_number() -> str:
    """A random NHS number with a valid modulus 11 check digit."""
    while True:
        digits = [random.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def everything_logged(home: Path) -> str:
    """The text of every log the stack writes: services, spans and PostgreSQL's own."""
    files = [p for p in (home / "logs").rglob("*") if p.is_file()]
    files += [p for p in (home / "postgres" / "log").rglob("*") if p.is_file()]
    if (home / "postgres" / "log").is_file():
        files.append(home / "postgres" / "log")
    return "\n".join(p.read_text(errors="replace") for p in files)


# PostgreSQL refuses the row with a check added for the test alone. A refused row is the worst
# case: PostgreSQL's message then holds the whole row ("Failing row contains (...)"), and a
# NUL can no longer serve (the service refuses it before any statement runs).
CHECKS = {
    "given_name": ("referral.children", "family_name NOT LIKE 'Pryce-%'"),
    "concern": ("referral.referrals", "concern NOT LIKE 'Stammer noted%'"),
}


@pytest.mark.parametrize("refused", list(CHECKS))
async def test_a_refused_write_leaves_no_personal_data_in_logs_or_the_answer(
    running: Stack, token: Callable[..., str], refused: str
) -> None:
    table, check = CHECKS[refused]
    socket_dir = running.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]
    admin = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
    await admin.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT no_test_rows CHECK ({check}) NOT VALID"
    )
    try:
        await _refused_write(running, token, refused)
    finally:
        await admin.execute(f"ALTER TABLE {table} DROP CONSTRAINT no_test_rows")
        await admin.close()


async def _refused_write(running: Stack, token: Callable[..., str], refused: str) -> None:
    mark = uuid.uuid4().hex[:10]
    family, nhs, born = f"Pryce-{mark}", nhs_number(), "2014-12-07"
    concern = f"Stammer noted by Mrs Eluned {mark}"
    referrer = f"Gwenllian {mark}"
    body = {
        "source": "school",
        "received_on": "2026-11-20",
        "learner": {
            "given_name": "Cai",
            "family_name": family,
            "date_of_birth": born,
            "nhs_number": nhs,
            "preferred_language": "cy",
        },
        "authority": CARDIFF,
        "school": {"name": "Ysgol Enghraifft", "ref": "6812345"},
        "concern": concern,
        "referrer": {"name": referrer, "role": "ALNCo"},
    }
    headers = {"Authorization": f"Bearer {token('la-officer', 'la:' + CARDIFF)}"}
    async with httpx.AsyncClient(base_url=running.url_of("referral"), timeout=30) as http:
        answer = await http.post("/api/v1/referrals", json=body, headers=headers)

    assert answer.status_code >= 400, answer.text  # PostgreSQL refused it: nothing was accepted
    secrets = [family, nhs, born, "2014, 12, 7", mark]
    assert not [s for s in secrets if s.lower() in answer.text.lower()], answer.text

    # The failure was logged (so the grep reads the right place); spans leave every 0.5 s.
    async def logs() -> str:
        return everything_logged(running.home)

    refusal = "CheckViolationError"
    assert refusal in await eventually(logs, lambda text: refusal in text, within=10)
    await asyncio.sleep(1.5)
    logged = everything_logged(running.home)
    leaked = [s for s in secrets if s.lower() in logged.lower()]
    assert not leaked, f"personal data in the logs: {leaked}"
