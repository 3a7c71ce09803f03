"""problem+json errors, JSON logs with trace ids, and the span file."""

import json
import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pydantic import BaseModel

from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import Conflict
from llwybr_common.logs import JsonFormatter
from llwybr_common.problems import install_problem_handlers
from llwybr_common.telemetry import JsonLinesSpanExporter

pytestmark = pytest.mark.unit


class Body(BaseModel):
    count: int
    name: str


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)

    @api.post("/things")
    async def things(body: Body) -> dict[str, int]:
        if body.count > 9:
            raise Conflict("case-closed", case_id="c-9", extra={"limit": 9})
        return {"count": body.count}

    @api.get("/mine")
    async def mine(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.subject}

    return api


def test_every_bad_field_is_named_in_problem_json() -> None:
    r = TestClient(app()).post("/things", json={"count": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["instance"] == "/things"
    assert {e["field"] for e in body["errors"]} == {"count", "name"}


def test_raised_domain_error_keeps_its_code_params_and_extras() -> None:
    r = TestClient(app()).post("/things", json={"count": 10, "name": "x"})
    assert r.status_code == 409
    body = r.json()
    assert body["type"].endswith("/case-closed") and body["code"] == "case-closed"
    assert body["limit"] == 9 and "c-9" in body["detail"]


def test_missing_token_is_401_with_a_challenge() -> None:
    r = TestClient(app()).get("/mine")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"


def test_json_logs_carry_trace_ids(capsys: pytest.CaptureFixture[str]) -> None:
    provider = TracerProvider()
    record = logging.makeLogRecord({"msg": "relayed", "levelname": "INFO", "case_id": "c-1"})
    with provider.get_tracer("t").start_as_current_span("s") as span:
        line = JsonFormatter("referral").format(record)
    out = json.loads(line)
    assert out["service"] == "referral" and out["message"] == "relayed" and out["case_id"] == "c-1"
    assert out["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_spans_are_written_as_json_lines_even_with_bytes_attributes(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    provider = TracerProvider(resource=Resource.create({"service.name": "llwybr-test"}))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    with provider.get_tracer("t").start_as_current_span("aln.referral.v1 publish") as span:
        span.set_attribute("messaging.kafka.message.key", "case-1")
    (line,) = path.read_text().splitlines()
    out = json.loads(line)
    assert out["name"] == "aln.referral.v1 publish" and out["service"] == "llwybr-test"
    assert out["attributes"]["messaging.kafka.message.key"] == "case-1"
