"""The front gate: strings that cannot be stored and oversized bodies never reach a route."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from llwybr_common.problems import install_problem_handlers
from llwybr_common.request_guard import install_request_guard

pytestmark = pytest.mark.unit
EN = {"accept-language": "en"}


class Note(BaseModel):
    text: str
    tags: list[str] = []


def make_app(reached: list[Any]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_request_guard(app, max_body_bytes=2_000)

    @app.post("/notes")
    async def add(note: Note) -> dict[str, str]:
        reached.append(note)
        return {"text": note.text}

    @app.get("/notes/{note_id}")
    async def show(note_id: str, q: str = "") -> dict[str, str]:
        reached.append(note_id)
        return {"id": note_id, "q": q}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret value 1234567890")

    return app


async def call(app: FastAPI, method: str, url: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, url, **kw)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"text": "a\\u0000b"}', "body.text"),
        (b'{"text": "ok", "tags": ["x", "\\ud800"]}', "body.tags.1"),
        (b'{"text": "\\udfff lone low surrogate"}', "body.text"),
    ],
)
async def test_unstorable_strings_in_a_body_are_refused_with_the_field(
    body: bytes, field: str
) -> None:
    reached: list[Any] = []
    r = await call(
        make_app(reached),
        "POST",
        "/notes",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "validation"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert reached == []


async def test_a_nul_in_the_path_is_400_and_in_a_query_422() -> None:
    reached: list[Any] = []
    app = make_app(reached)
    r = await call(app, "GET", "/notes/ab%00cd")
    assert (r.status_code, r.json()["code"]) == (400, "bad-path")
    r = await call(app, "GET", "/notes/abc", params={"q": "x\x00y"})
    assert (r.status_code, r.json()["code"]) == (422, "validation")
    assert r.json()["errors"][0]["field"] == "query.q"
    assert reached == []


async def test_a_body_over_the_limit_is_413_declared_or_streamed() -> None:
    reached: list[Any] = []
    app = make_app(reached)
    big = b'{"text": "' + b"a" * 5_000 + b'"}'
    r = await call(app, "POST", "/notes", content=big, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "body-too-large")
    assert r.json()["limit_bytes"] == 2_000

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"a" * 500

    r = await call(
        app, "POST", "/notes", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert reached == []


async def test_good_input_passes_untouched() -> None:
    reached: list[Any] = []
    app = make_app(reached)
    r = await call(app, "POST", "/notes", json={"text": "Dŵr ☕ 𝄞", "tags": ["ŷ"]})
    assert r.status_code == 200
    assert r.json() == {"text": "Dŵr ☕ 𝄞"}
    r = await call(app, "GET", "/notes/n1", params={"q": "ffôn"})
    assert r.json() == {"id": "n1", "q": "ffôn"}


async def test_the_answer_is_in_the_language_asked_for() -> None:
    app = make_app([])
    body = b'{"text": "a\\u0000"}'
    cy = await call(app, "POST", "/notes", content=body, headers={"accept-language": "cy"})
    en = await call(app, "POST", "/notes", content=body, headers={"accept-language": "en-GB"})
    both = await call(app, "POST", "/notes", content=body)
    assert cy.json()["title"] == "Nid yw'r cais yn ddilys"
    assert en.json()["title"] == "The request is not valid"
    assert both.json()["title"] == "Nid yw'r cais yn ddilys / The request is not valid"
    assert cy.json()["code"] == en.json()["code"] == both.json()["code"]


async def test_an_unforeseen_error_is_problem_json_without_its_text() -> None:
    r = await call(make_app([]), "GET", "/boom", headers={"accept-language": "en"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal-error"
    assert "1234567890" not in r.text


async def test_a_date_outside_1900_to_2199_is_refused_and_other_text_is_not() -> None:
    reached: list[Any] = []
    app = make_app(reached)
    r = await call(app, "POST", "/notes", json={"text": "9999-12-31"}, headers=EN)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "body.text",
            "code": "bad-characters.date-out-of-range",
            "reason": "is a date before 1900 or after 2199",
        }
    ]
    r = await call(app, "GET", "/notes/n1", params={"q": "0001-01-01"})
    assert r.status_code == 422
    r = await call(app, "POST", "/notes", json={"text": "born 9999-12-31", "tags": ["2026-11-27"]})
    assert r.status_code == 200
