"""An advocate reads a case only while the advocacy service says so: the assigned advocate
while consent stands (200, audited with the consent and handoff it rests on, without the NHS
number or UPN), 403 with the reason once consent is withdrawn, 404 for one never assigned, and
503 (never a read) when the advocacy service cannot answer. The advocacy service is asked with
this service's own credentials on every read."""

import httpx
import pytest

from llwybr_common.audit import AuditRecord
from llwybr_common.auth import mint_token, verify
from referral.advocate_access import AdvocacyDirectory

from .conftest import Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

SNAP = "advocacy:snap-cymru"


class AdvocacyStub:
    def __init__(self) -> None:
        self.access = "granted"
        self.calls: list[httpx.Request] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.url.params.get("advocate") != "owain.snap":
            return httpx.Response(200, json={"access": "none", "shares": []})
        return httpx.Response(
            200,
            json={"access": self.access, "consent_id": "consent-1", "handoff_id": "handoff-1"},
        )


def with_advocacy(desk: Desk, transport: httpx.AsyncBaseTransport) -> None:
    settings = desk.rt.settings.model_copy(
        update={"service_urls": {"advocacy": "http://advocacy.test"}}
    )
    desk.app.state.advocacy = AdvocacyDirectory(settings, transport=transport)


async def test_the_assigned_advocate_reads_while_consent_stands_and_not_after(desk: Desk) -> None:
    stub = AdvocacyStub()
    with_advocacy(desk, httpx.MockTransport(stub.answer))
    body = referral()
    body["learner"]["nhs_number"] = "943 476 5919"
    created = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    def as_advocate(subject: str) -> dict[str, str]:
        jwt = mint_token(desk.rt.settings, subject=subject, roles=["advocate"], scopes=[SNAP])
        return {"Authorization": f"Bearer {jwt}", "Accept-Language": "en"}

    read = await desk.http.get(f"/api/v1/cases/{case_id}", headers=as_advocate("owain.snap"))
    assert read.status_code == 200, read.text
    assert read.json()["case_id"] == case_id
    assert read.json()["learner"]["nhs_number"] is None  # no part of advocacy
    # Asked with the referral service's own token, naming the advocate and provider.
    asked = stub.calls[-1]
    assert verify(
        asked.headers["authorization"].removeprefix("Bearer "), desk.rt.settings
    ).roles == {"service"}
    assert dict(asked.url.params) == {
        "case_id": case_id,
        "advocate": "owain.snap",
        "provider": SNAP,
    }
    reads = await desk.rows(AuditRecord, case_id=case_id, actor="owain.snap")
    assert [(r.action, r.outcome) for r in reads] == [("read", "ok")]
    assert "consent consent-1" in reads[0].purpose and "handoff handoff-1" in reads[0].purpose

    never = await desk.http.get(f"/api/v1/cases/{case_id}", headers=as_advocate("someone.else"))
    missing = await desk.http.get("/api/v1/cases/no-such-case", headers=as_advocate("someone.else"))
    assert never.status_code == missing.status_code == 404
    assert never.json()["code"] == missing.json()["code"] == "not-found.case"

    stub.access = "consent-withdrawn"  # the family withdrew consent: the next read is refused
    after = await desk.http.get(f"/api/v1/cases/{case_id}", headers=as_advocate("owain.snap"))
    assert after.status_code == 403, after.text
    assert after.json()["code"] == "advocacy.consent-withdrawn"
    assert after.json()["title"] == "Access denied: consent withdrawn"
    assert case_id not in after.text.replace(f"/api/v1/cases/{case_id}", "")
    denied = await desk.rows(AuditRecord, case_id=case_id, actor="owain.snap", action="denied")
    assert [d.outcome for d in denied] == ["consent-withdrawn"]


async def test_no_answer_from_the_advocacy_service_is_no_read(desk: Desk) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with_advocacy(desk, httpx.MockTransport(down))
    created = await desk.http.post("/api/v1/referrals", json=referral(), headers=desk.officer())
    case_id = created.json()["case_id"]
    r = await desk.http.get(f"/api/v1/cases/{case_id}", headers=desk.token("advocate", SNAP))
    assert r.status_code == 503
    # Other callers never wait on the advocacy service.
    assert (
        await desk.http.get(f"/api/v1/cases/{case_id}", headers=desk.officer())
    ).status_code == 200
