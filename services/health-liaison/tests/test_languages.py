"""Refusals in the caller's language: a 404 and a 422 in Welsh and in English carry the same
stable code; with no preference, both (Welsh first)."""

from datetime import date

import pytest
from sqlmodel import select

from llwybr_common.audit import AuditRecord
from llwybr_contracts.events import HealthInputRequested

from .conftest import CARDIFF, SWANSEA_BAY, Desk

pytestmark = pytest.mark.service


async def test_a_request_out_of_scope_is_heb_ei_ganfod_and_the_denial_is_audited(
    desk: Desk,
) -> None:
    event = HealthInputRequested(
        case_id="case-l1", request_id="l1", authority=CARDIFF, start=date(2026, 11, 16)
    )
    await desk.publish(event, case_id=event.case_id)
    url = "/api/v1/health-requests/l1"
    other_board = desk.declo(SWANSEA_BAY)
    cy = await desk.http.get(url, headers={**other_board, "Accept-Language": "cy"})
    en = await desk.http.get(url, headers={**other_board, "Accept-Language": "en-GB"})
    both = await desk.http.get(url, headers=other_board)
    assert cy.status_code == en.status_code == both.status_code == 404
    assert cy.json()["code"] == en.json()["code"] == "not-found.health-request"
    assert (cy.json()["title"], en.json()["title"]) == ("Heb ei ganfod", "Not found")
    assert cy.json()["detail"] == "Nid oes cais iechyd l1 y gallwch ei weld."
    assert cy.headers["content-language"] == "cy" and en.headers["content-language"] == "en"
    assert both.json()["title"] == "Heb ei ganfod / Not found"
    async for session in desk.session():
        denied = (
            await session.exec(select(AuditRecord).where(AuditRecord.resource_id == "l1"))
        ).all()
    assert [(r.action, r.outcome) for r in denied] == [("denied", "not-found-or-out-of-scope")] * 3


async def test_an_answer_breaking_a_rule_is_a_422_in_welsh_naming_the_field(desk: Desk) -> None:
    event = HealthInputRequested(
        case_id="case-l2", request_id="l2", authority=CARDIFF, start=date(2026, 11, 16)
    )
    await desk.publish(event, case_id=event.case_id)
    url = "/api/v1/health-requests/l2/response"
    answer = {"outcome": "service-identified", "service": "SLT"}
    cy = await desk.http.post(url, json=answer, headers={**desk.declo(), "Accept-Language": "cy"})
    en = await desk.http.post(url, json=answer, headers={**desk.declo(), "Accept-Language": "en"})
    assert cy.status_code == en.status_code == 422
    assert cy.json()["code"] == en.json()["code"] == "validation"
    assert cy.json()["title"] == "Nid yw'r cais yn ddilys"
    assert cy.json()["errors"] == [
        {
            "field": "welsh_delivery",
            "code": "welsh-delivery-required",
            "reason": "dywedwch a ddylid darparu'r gwasanaeth yn Gymraeg (Deddf a.21)",
        }
    ]
    assert en.json()["errors"][0]["reason"].startswith("say whether the service should be")
    missing = await desk.http.post(
        url, json={"notes": "seen"}, headers={**desk.declo(), "Accept-Language": "cy"}
    )
    assert missing.json()["errors"] == [
        {"field": "outcome", "code": "missing", "reason": "mae angen y maes hwn"}
    ]
