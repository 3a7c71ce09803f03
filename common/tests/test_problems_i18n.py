"""problem+json in the caller's language: Welsh, English, or both (Welsh first), the same
stable `code` in each; field reasons from the catalogue for pydantic's common error types."""

from datetime import date
from enum import StrEnum
from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from llwybr_common.errors import AccessDenied, Conflict, FieldError, Invalid, NotFound
from llwybr_common.i18n import Lang, choose_language
from llwybr_common.problems import install_problem_handlers

pytestmark = pytest.mark.unit


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=5)
    ref: str = Field(pattern=r"^\d{4}$")
    on: date
    colour: Colour
    kind: Literal["a", "b"]
    count: int


def client() -> TestClient:
    api = FastAPI()
    install_problem_handlers(api)

    @api.post("/things")
    async def things(body: Thing) -> dict[str, str]:
        return {"ok": "yes"}

    @api.get("/cases/{case_id}")
    async def case(case_id: str) -> None:
        raise NotFound("not-found.case", case_id=case_id)

    @api.get("/denied")
    async def denied() -> None:
        raise AccessDenied("access.case-scope")

    @api.get("/refused")
    async def refused() -> None:
        raise Conflict("refused.not-decision-pending", state="consent-pending")

    @api.get("/rule")
    async def rule() -> None:
        raise Invalid(FieldError("until", "pause-ends-before-start"))

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    return TestClient(api, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Lang.BOTH),
        ("", Lang.BOTH),
        ("*", Lang.BOTH),
        ("fr, de;q=0.5", Lang.BOTH),
        ("cy", Lang.CY),
        ("cy-GB", Lang.CY),
        ("en-GB,en;q=0.9", Lang.EN),
        ("en;q=0.5, cy;q=0.8", Lang.CY),
        ("cy, en", Lang.CY),
        ("en, cy", Lang.EN),
        ("cy;q=0, en", Lang.EN),
        ("fr, en;q=0.2", Lang.EN),
        ("cy;q=bad", Lang.BOTH),
    ],
)
def test_accept_language_chooses_welsh_english_or_both(header: str | None, expected: Lang) -> None:
    assert choose_language(header) is expected


def _get(path: str, lang: str | None) -> dict[str, object]:
    headers = {"Accept-Language": lang} if lang else {}
    r = client().get(path, headers=headers)
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = r.json()
    body["_status"] = r.status_code
    body["_content_language"] = r.headers["content-language"]
    return body


def test_not_found_in_welsh_english_and_both_with_one_code() -> None:
    cy, en, both = (_get("/cases/c-1", lang) for lang in ("cy", "en", None))
    assert cy["code"] == en["code"] == both["code"] == "not-found.case"
    assert cy["_status"] == en["_status"] == 404
    assert (cy["title"], cy["detail"]) == ("Heb ei ganfod", "Nid oes achos c-1.")
    assert (en["title"], en["detail"]) == ("Not found", "There is no case c-1.")
    assert both["title"] == "Heb ei ganfod / Not found"
    assert both["detail"] == "Nid oes achos c-1. / There is no case c-1."
    assert (cy["_content_language"], en["_content_language"]) == ("cy", "en")
    assert both["_content_language"] == "cy, en"


def test_access_denied_and_refusal_speak_welsh_when_asked() -> None:
    denied = _get("/denied", "cy")
    assert denied["_status"] == 403 and denied["title"] == "Dim mynediad"
    assert str(denied["detail"]).startswith("Nid oes gennych ganiatâd i wneud hyn")
    refused = _get("/refused", "cy")
    assert refused["code"] == "refused.not-decision-pending"
    assert "consent-pending" in str(refused["detail"])
    assert "aros am benderfyniad" in str(refused["detail"])


def test_a_rule_across_fields_is_a_422_naming_the_field_in_each_language() -> None:
    cy, en = _get("/rule", "cy"), _get("/rule", "en")
    assert cy["_status"] == 422 and cy["code"] == en["code"] == "validation"
    assert cy["errors"] == [
        {"field": "until", "code": "pause-ends-before-start", "reason": "ni all saib ddod i ben "
         "cyn iddo ddechrau"}
    ]  # fmt: skip
    assert en["detail"] == "until: a pause cannot end before it starts"


def test_pydantic_reasons_come_from_the_catalogue_in_welsh() -> None:
    bad = {"name": "x", "ref": "12", "on": "31/12/2026", "colour": "blue", "kind": "c",
           "count": "many", "extra": 1}  # fmt: skip
    r = client().post("/things", json=bad, headers={"Accept-Language": "cy"})
    assert r.status_code == 422
    body = r.json()
    assert body["title"] == "Nid yw'r cais yn ddilys"
    reasons = {e["field"]: (e["code"], e["reason"]) for e in body["errors"]}
    assert reasons["name"] == ("string-too-short", "rhaid iddo fod o leiaf 2 nod")
    assert reasons["ref"][0] == "pattern-mismatch" and "patrwm" in reasons["ref"][1]
    assert reasons["on"] == ("date-parsing", "rhaid iddo fod yn ddyddiad dilys, BBBB-MM-DD")
    assert reasons["colour"][0] == "enum" and reasons["colour"][1].startswith("rhaid iddo fod")
    assert reasons["kind"][0] == "enum" and "'a'" in reasons["kind"][1]
    assert reasons["count"] == ("int-parsing", "rhaid iddo fod yn rhif cyfan")
    assert reasons["extra"] == ("extra-forbidden", "nid yw'r maes hwn yn cael ei dderbyn")
    long = client().post("/things", json={}, headers={"Accept-Language": "en"}).json()
    assert {e["code"] for e in long["errors"]} == {"missing"}
    assert long["errors"][0]["reason"] == "this field is required"
    too_long = {"name": "abcdefg", "ref": "1234", "on": "2026-01-01", "colour": "red",
                "kind": "a", "count": 1}  # fmt: skip
    r = client().post("/things", json=too_long, headers={"Accept-Language": "cy"}).json()
    assert r["errors"][0]["reason"] == "ni all fod yn hirach na 5 nod"


def test_an_unknown_route_and_an_unexpected_error_are_problems_too() -> None:
    missing = client().get("/nowhere", headers={"Accept-Language": "cy"})
    assert missing.status_code == 404 and missing.json()["code"] == "http-404"
    assert missing.json()["title"] == "Heb ei ganfod"
    boom = client().get("/boom", headers={"Accept-Language": "en"})
    assert boom.status_code == 500 and boom.json()["code"] == "internal-error"
    assert "unexpected" not in boom.text
