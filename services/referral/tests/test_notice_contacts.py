"""The family's contact for decision notices (Act s.9, s.68-70): checked at intake (a 422 names
the field), kept with the child's identity and never in an event, shown to those who may see the
case, and given by claim-check to services only."""

from typing import Any

import pytest

from llwybr_common.audit import AuditRecord
from llwybr_common.outbox import OutboxMessage

from .conftest import SWANSEA, Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

PARENT = {"name": "Nia Jones", "email": "nia.jones@example.cymru"}
IRO = "iro@caerdydd.example.gov.uk"


def looked_after(**overrides: Any) -> dict[str, Any]:
    body = referral(**overrides)
    body["learner"] = {**body["learner"], "looked_after": True, "preferred_language": "cy"}
    return body


async def test_bad_contacts_get_a_422_naming_each_field_and_nothing_is_written(desk: Desk) -> None:
    body = referral(family_contact={"name": "Nia", "email": "nia at example"}, iro_email=IRO)
    r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer(lang="cy"))
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["code"] for e in r.json()["errors"]}
    # not looked after: there is no IRO to copy
    assert errors == {
        "family_contact.email": "email-invalid",
        "iro_email": "iro-only-for-looked-after",
    }
    assert await desk.cases() == []


async def test_contacts_are_shown_to_the_case_and_claimed_by_services_only(desk: Desk) -> None:
    r = await desk.http.post(
        "/api/v1/referrals",
        json=looked_after(family_contact=PARENT, iro_email=IRO),
        headers=desk.officer(),
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]

    detail = (await desk.http.get(f"/api/v1/cases/{case_id}", headers=desk.officer())).json()
    assert detail["family_contact"] == PARENT and detail["iro_email"] == IRO

    claim = await desk.http.get(
        f"/api/v1/cases/{case_id}/notice-contacts", headers=desk.token("service")
    )
    assert claim.status_code == 200, claim.text
    assert claim.json() == {
        "preferred_language": "cy",
        "family": PARENT,
        "iro_email": IRO,
        "looked_after": True,
    }
    audited = await desk.rows(AuditRecord, case_id=case_id, resource="notice-contacts")
    assert [a.outcome for a in audited] == ["ok"]

    for headers in (
        desk.officer(),
        desk.token("la-manager", "la:W06000015"),
        desk.officer(SWANSEA),
    ):
        denied = await desk.http.get(f"/api/v1/cases/{case_id}/notice-contacts", headers=headers)
        assert denied.status_code == 403, denied.text
        assert denied.json()["code"] == "access.services-only"

    events = await desk.rows(OutboxMessage, key=case_id)
    assert events and not any(
        PARENT["email"] in str(e.envelope) or IRO in str(e.envelope) for e in events
    ), "no contact travels in an event"


async def test_a_case_without_contacts_claims_none(desk: Desk) -> None:
    r = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    case_id = r.json()["case_id"]
    claim = await desk.http.get(
        f"/api/v1/cases/{case_id}/notice-contacts", headers=desk.token("service")
    )
    assert claim.json() == {
        "preferred_language": "en",
        "family": None,
        "iro_email": None,
        "looked_after": False,
    }
