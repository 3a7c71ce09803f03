"""The detail view fetches learner details from the referral service with the service's own
token (claim-check), keeps only what the sharing agreement allows, audits the read, and still
answers when the referral service is down."""

import json
from datetime import date

import httpx
import pytest
from sqlmodel import select

from health_liaison.models import LearnerDetails
from health_liaison.referral_client import ReferralDirectory
from llwybr_common.audit import AuditRecord
from llwybr_common.auth import verify
from llwybr_contracts.events import HealthInputRequested

from .conftest import CARDIFF, Desk

pytestmark = pytest.mark.service


def referral_stub(
    calls: list[httpx.Request], nhs_number: str = "943 476 5919"
) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/learner"):
            case_id = request.url.path.split("/")[4]
            return httpx.Response(
                200,
                json={
                    "case_id": case_id,
                    "given_name": "Cerys",
                    "family_name": "Jones",
                    "date_of_birth": "2019-05-01",
                    "nhs_number": nhs_number,
                },
            )
        if "/health-requests/" in request.url.path:
            return httpx.Response(200, json={"reason": "Speech and language delay"})
        return httpx.Response(404)

    return httpx.MockTransport(answer)


def with_referral(desk: Desk, transport: httpx.AsyncBaseTransport) -> None:
    settings = desk.rt.settings.model_copy(
        update={"service_urls": {"referral": "http://referral.test"}}
    )
    desk.app.state.referral = ReferralDirectory(settings, transport=transport)


async def open_one(desk: Desk, request_id: str) -> None:
    event = HealthInputRequested(
        case_id=f"case-{request_id}",
        request_id=request_id,
        authority=CARDIFF,
        start=date(2026, 11, 16),
    )
    await desk.publish(event, case_id=event.case_id)


async def test_detail_fetches_keeps_and_audits_learner_details(desk: Desk) -> None:
    calls: list[httpx.Request] = []
    with_referral(desk, referral_stub(calls))
    await open_one(desk, "d1")

    response = await desk.http.get("/api/v1/health-requests/d1", headers=desk.declo())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["learner"] == {
        "given_name": "Cerys",
        "family_name": "Jones",
        "date_of_birth": "2019-05-01",
        "nhs_number": "9434765919",
    }
    assert body["reason_for_referral"] == "Speech and language delay"
    assert body["board_name"]["cy"] == "Bwrdd Iechyd Prifysgol Caerdydd a'r Fro"
    # The service's own credentials, never the caller's.
    token = calls[0].headers["authorization"].removeprefix("Bearer ")
    assert verify(token, desk.rt.settings).roles == frozenset({"service"})

    async for session in desk.session():
        kept = await session.get(LearnerDetails, "case-d1")
        audits = (
            await session.exec(select(AuditRecord).where(AuditRecord.case_id == "case-d1"))
        ).all()
    assert kept is not None and kept.nhs_number == "9434765919" and kept.source == "referral"
    assert {(a.action, a.resource) for a in audits} >= {
        ("read", "health-request"),
        ("read", "learner"),
        ("update", "learner"),
    }
    # Kept details answer the next read without asking again.
    before = len([c for c in calls if c.url.path.endswith("/learner")])
    await desk.http.get("/api/v1/health-requests/d1", headers=desk.declo())
    assert len([c for c in calls if c.url.path.endswith("/learner")]) == before


async def test_detail_answers_when_the_referral_service_is_down(desk: Desk) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with_referral(desk, httpx.MockTransport(down))
    await open_one(desk, "d2")
    response = await desk.http.get("/api/v1/health-requests/d2", headers=desk.declo())
    assert response.status_code == 200
    body = response.json()
    assert body["request_id"] == "d2" and body["learner"] is None
    assert body["learner_unavailable"]["en"].startswith("Learner details are unavailable")
    assert body["learner_unavailable"]["cy"]
    async for session in desk.session():
        audits = (
            await session.exec(
                select(AuditRecord).where(
                    AuditRecord.case_id == "case-d2", AuditRecord.resource == "learner"
                )
            )
        ).all()
    assert [a.outcome for a in audits] == ["unavailable"]


async def test_an_nhs_number_failing_its_check_is_not_kept(desk: Desk) -> None:
    with_referral(desk, referral_stub([], nhs_number="9434765918"))
    await open_one(desk, "d3")
    body = (await desk.http.get("/api/v1/health-requests/d3", headers=desk.declo())).json()
    assert body["learner"]["nhs_number"] is None
    assert "9434765918" not in json.dumps(body)
