"""An unreachable database answers problem+json 503 with Retry-After, in the caller's language;
a fault of the service's own stays a 500. The connection attempts are real (to a socket
directory where no PostgreSQL listens)."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from llwybr_common.availability import install_availability_handlers
from llwybr_common.db import make_engine

pytestmark = pytest.mark.unit


def app(socket_dir: Path) -> FastAPI:
    api = FastAPI()
    install_availability_handlers(api)
    engine = make_engine(f"postgresql+asyncpg://nobody@/llwybr?host={socket_dir}", "x")

    @api.get("/cases")
    async def cases() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"n": int(await conn.scalar(text("SELECT 1")) or 0)}

    @api.get("/own-fault")
    async def own_fault() -> dict[str, str]:
        return {"text": (socket_dir / "no-such-file").read_text()}  # OSError, not the database

    return api


async def call(tmp_path: Path, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app(tmp_path), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)


async def test_an_unreachable_database_answers_503_problem_with_retry_after(
    tmp_path: Path,
) -> None:
    answer = await call(tmp_path, "/cases")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["code"] == "dependency-unavailable"
    # No language asked for: both, Welsh first.
    assert body["title"] == (
        "Nid yw gwasanaeth y mae Llwybr yn dibynnu arno ar gael"
        " / A service Llwybr depends on is not available"
    )
    assert body["status"] == 503 and body["instance"] == "/cases"


@pytest.mark.parametrize(
    ("accept", "title"),
    [
        ("cy", "Nid yw gwasanaeth y mae Llwybr yn dibynnu arno ar gael"),
        ("en-GB,cy;q=0.5", "A service Llwybr depends on is not available"),
        ("en;q=0.4, cy-GB;q=0.9", "Nid yw gwasanaeth y mae Llwybr yn dibynnu arno ar gael"),
    ],
)
async def test_the_503_speaks_the_callers_language(tmp_path: Path, accept: str, title: str) -> None:
    answer = await call(tmp_path, "/cases", **{"Accept-Language": accept})
    assert answer.json()["title"] == title
    assert answer.headers["content-language"] == ("cy" if "Nid" in title else "en")


async def test_a_fault_of_the_service_itself_is_not_blamed_on_a_dependency(
    tmp_path: Path,
) -> None:
    answer = await call(tmp_path, "/own-fault")
    assert answer.status_code == 500
    assert "retry-after" not in answer.headers
