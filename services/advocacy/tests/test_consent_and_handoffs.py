"""Consent first: a handoff needs standing consent (409 in Welsh and English without it), the
provider's inbox shows the case's open clocks with the appeal window's days left, the provider
accepts (`AdvocacyHandoffAccepted`) or declines, and withdrawal ends access at once."""

from datetime import date
from typing import Any

import pytest

from advocacy.models import AdvocacyConsent, AdvocacyHandoff

from .conftest import CARDIFF, SNAP, SWANSEA, TODAY, Desk

pytestmark = pytest.mark.service

APPEAL_WINDOW = {
    "rule": "tribunal-appeal",
    "start": "2026-11-23",
    "due": "2027-01-19",
    "status": "running",
}
MET = {"rule": "la-decision", "start": "2026-09-01", "due": "2026-11-24", "status": "met"}


async def test_a_handoff_without_consent_is_refused_in_welsh_and_english(desk: Desk) -> None:
    case_id = desk.case()
    path = f"/api/v1/cases/{case_id}/advocacy-handoffs"
    body = {"provider": SNAP, "reason": "considering-appeal"}
    both = await desk.http.post(path, json=body, headers=desk.officer())
    cy = await desk.http.post(path, json=body, headers={**desk.officer(), "Accept-Language": "cy"})
    en = await desk.http.post(path, json=body, headers={**desk.officer(), "Accept-Language": "en"})
    assert both.status_code == cy.status_code == en.status_code == 409
    assert both.headers["content-type"].startswith("application/problem+json")
    assert cy.json()["code"] == en.json()["code"] == "advocacy.no-standing-consent"
    assert cy.json()["title"] == "Nid oes cydsyniad i rannu'r achos â'r darparwr hwn"
    assert en.json()["title"] == "No consent to share the case with this provider"
    assert SNAP in en.json()["detail"] and "Act s.69" in en.json()["detail"]
    assert (
        both.json()["title"].startswith("Nid oes cydsyniad")
        and " / No consent" in both.json()["title"]
    )
    assert await desk.rows(AdvocacyHandoff, case_id=case_id) == []  # nothing half-written


async def test_consent_then_handoff_then_inbox_with_the_appeal_window(desk: Desk) -> None:
    case_id = desk.case(clocks=[APPEAL_WINDOW, MET])
    consent_id = await desk.consent(case_id)
    handoff_id = await desk.handoff(case_id)

    inbox = await desk.http.get("/api/v1/advocacy-handoffs", headers=desk.advocate())
    assert inbox.status_code == 200, inbox.text
    [item] = [i for i in inbox.json()["items"] if i["handoff_id"] == handoff_id]
    assert item["status"] == "offered" and item["consent_standing"] is True
    assert item["provider_name"] == {"cy": "SNAP Cymru", "en": "SNAP Cymru"}
    # Friday 27 November + 5 working days: Friday 4 December.
    assert item["offered_on"] == "2026-11-27" and item["accept_by"] == "2026-12-04"
    assert item["late"] is False
    # Open clocks only; the appeal window with its days left (27 Nov -> 19 Jan: 53 days).
    assert [c["rule"] for c in item["clocks"]] == ["tribunal-appeal"]
    assert item["appeal_window"] == {
        "rule": "tribunal-appeal",
        "due": "2027-01-19",
        "status": "running",
        "days_left": 53,
    }
    # The claim-check used this service's own credentials.
    assert all(
        c.headers["authorization"] != desk.advocate()["Authorization"] for c in desk.referral.calls
    )
    # Another provider's advocates see nothing of it.
    other = await desk.http.get(
        "/api/v1/advocacy-handoffs", headers=desk.advocate(scope="advocacy:tros-gynnal")
    )
    assert other.status_code == 200 and handoff_id not in other.text

    accepted = await desk.http.post(
        f"/api/v1/advocacy-handoffs/{handoff_id}/accept",
        json={"advocate": "owain.snap"},
        headers=desk.advocate("advocacy-lead.snap"),
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["advocate"] == "owain.snap"
    events = await desk.events(case_id)
    assert events == [
        (
            "wales.aln.advocacy.advocacy-handoff-accepted.v1",
            {"case_id": case_id, "provider": SNAP, "accepted_on": "2026-11-27"},
        )
    ]
    again = await desk.http.post(
        f"/api/v1/advocacy-handoffs/{handoff_id}/accept",
        json={"advocate": "owain.snap"},
        headers=desk.advocate(),
    )
    assert again.status_code == 409 and again.json()["code"] == "advocacy.handoff-not-offered"
    assert ("create", "advocacy-consent", "ok") in await desk.audit(case_id)
    assert consent_id


async def test_a_handoff_unanswered_after_five_working_days_is_late(desk: Desk) -> None:
    case_id = desk.case()
    await desk.consent(case_id)
    handoff_id = await desk.handoff(case_id)  # Friday 27 November: answer by Friday 4 December

    async def late_on(day: date) -> bool:
        desk.app.state.today = lambda: day
        try:
            r = await desk.http.get("/api/v1/advocacy-handoffs", headers=desk.advocate())
        finally:
            desk.app.state.today = lambda: TODAY
        [item] = [i for i in r.json()["items"] if i["handoff_id"] == handoff_id]
        return bool(item["late"])

    assert [await late_on(date(2026, 12, 4)), await late_on(date(2026, 12, 7))] == [False, True]


async def test_the_provider_declines_with_a_reason(desk: Desk) -> None:
    case_id = desk.case()
    await desk.consent(case_id)
    handoff_id = await desk.handoff(case_id)
    officer_tries = await desk.http.post(
        f"/api/v1/advocacy-handoffs/{handoff_id}/decline",
        json={"reason": "no capacity"},
        headers=desk.officer(),
    )
    assert officer_tries.status_code == 403
    assert officer_tries.json()["code"] == "advocacy.provider-only"
    declined = await desk.http.post(
        f"/api/v1/advocacy-handoffs/{handoff_id}/decline",
        json={"reason": "Outside our remit this term"},
        headers=desk.advocate(),
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "Outside our remit this term"
    assert await desk.events(case_id) == []  # a decline publishes nothing


async def test_withdrawal_ends_access_at_once(desk: Desk) -> None:
    case_id = desk.case()
    consent_id = await desk.consent(case_id)
    handoff_id = await desk.handoff(case_id)
    await desk.http.post(
        f"/api/v1/advocacy-handoffs/{handoff_id}/accept",
        json={"advocate": "owain.snap"},
        headers=desk.advocate(),
    )

    async def access(advocate: str = "owain.snap") -> dict[str, Any]:
        r = await desk.http.get(
            "/api/v1/internal/advocate-access",
            params={"case_id": case_id, "advocate": advocate, "provider": SNAP},
            headers=desk.service(),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    granted = await access()
    assert granted["access"] == "granted" and granted["consent_id"] == consent_id
    assert granted["handoff_id"] == handoff_id
    assert (await access("someone-else"))["access"] == "none"

    withdrawn = await desk.http.post(
        f"/api/v1/advocacy-consents/{consent_id}/withdraw", json={}, headers=desk.advocate()
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["standing"] is False
    assert (await access())["access"] == "consent-withdrawn"
    [handoff] = await desk.rows(AdvocacyHandoff, handoff_id=handoff_id)
    assert handoff.status == "closed"
    twice = await desk.http.post(
        f"/api/v1/advocacy-consents/{consent_id}/withdraw", json={}, headers=desk.officer()
    )
    assert twice.status_code == 409
    # No consent, no handoff.
    refused = await desk.http.post(
        f"/api/v1/cases/{case_id}/advocacy-handoffs",
        json={"provider": SNAP, "reason": "disagreement"},
        headers=desk.officer(),
    )
    assert refused.status_code == 409


async def test_people_may_ask_only_within_their_scope(desk: Desk) -> None:
    case_id = desk.case()
    body = {"provider": SNAP, "given_by": "parent", "shares": ["idp"], "valid_from": "2026-11-20"}
    path = f"/api/v1/cases/{case_id}/advocacy-consents"
    swansea = await desk.http.post(path, json=body, headers=desk.officer(SWANSEA))
    missing = await desk.http.post(
        "/api/v1/cases/no-such-case/advocacy-consents", json=body, headers=desk.officer(SWANSEA)
    )
    assert swansea.status_code == missing.status_code == 404
    assert swansea.json()["code"] == missing.json()["code"] == "not-found.case"
    alnco = await desk.http.post(path, json=body, headers=desk.alnco())
    assert alnco.status_code == 201, alnco.text
    declo = await desk.http.post(path, json=body, headers=desk.token("declo", "board:W11000029"))
    assert declo.status_code == 403 and declo.json()["code"] == "advocacy.role"
    # The provider records consent on the family's behalf only with its evidence reference.
    no_evidence = await desk.http.post(path, json=body, headers=desk.advocate())
    assert no_evidence.status_code == 422
    assert no_evidence.json()["errors"][0]["field"] == "evidence_ref"
    with_evidence = await desk.http.post(
        path, json={**body, "evidence_ref": "SNAP-2026-0042"}, headers=desk.advocate()
    )
    assert with_evidence.status_code == 201, with_evidence.text
    other_provider = await desk.http.post(
        path,
        json={**body, "evidence_ref": "X-1"},
        headers=desk.advocate(scope="advocacy:tros-gynnal"),
    )
    assert other_provider.status_code == 403
    assert other_provider.json()["code"] == "advocacy.other-provider"
    unknown = await desk.http.post(
        path, json={**body, "provider": "advocacy:nobody"}, headers=desk.officer()
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "provider"
    reversed_dates = await desk.http.post(
        path, json={**body, "valid_until": "2026-11-01"}, headers=desk.officer()
    )
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["errors"][0]["field"] == "valid_until"
    [kept] = await desk.rows(AdvocacyConsent, evidence_ref="SNAP-2026-0042")
    assert kept.recorded_by == "advocate.snap" and kept.authority == CARDIFF
    # An advocate may not make a handoff (the case team does).
    handoff = await desk.http.post(
        f"/api/v1/cases/{case_id}/advocacy-handoffs",
        json={"provider": SNAP, "reason": "disagreement"},
        headers=desk.advocate(),
    )
    assert handoff.status_code == 403 and handoff.json()["code"] == "advocacy.case-team-only"


async def test_expired_consent_does_not_stand(desk: Desk) -> None:
    case_id = desk.case()
    await desk.consent(case_id, valid_from="2026-01-01", valid_until="2026-11-26")
    r = await desk.http.post(
        f"/api/v1/cases/{case_id}/advocacy-handoffs",
        json={"provider": SNAP, "reason": "disagreement"},
        headers=desk.officer(),
    )
    assert r.status_code == 409 and r.json()["code"] == "advocacy.no-standing-consent"


async def test_the_referral_service_down_is_503_and_writes_nothing(desk: Desk) -> None:
    case_id = desk.case()
    desk.referral.down = True
    try:
        r = await desk.http.post(
            f"/api/v1/cases/{case_id}/advocacy-consents",
            json={
                "provider": SNAP,
                "given_by": "parent",
                "shares": ["idp"],
                "valid_from": "2026-11-20",
            },
            headers=desk.officer(),
        )
    finally:
        desk.referral.down = False
    assert r.status_code == 503
    assert await desk.rows(AdvocacyConsent, case_id=case_id) == []


async def test_the_internal_answer_is_for_services_only(desk: Desk) -> None:
    r = await desk.http.get(
        "/api/v1/internal/advocate-access",
        params={"case_id": "c", "advocate": "a", "provider": SNAP},
        headers=desk.advocate(),
    )
    assert r.status_code == 403 and r.json()["code"] == "access.services-only"


async def test_each_handoff_is_watched_until_answered_or_ended(desk: Desk) -> None:
    """The watch that alerts the provider when a handoff is late starts with the handoff and
    stops on accept, decline or withdrawal (docs/rules.md section 7)."""
    case_id = desk.case()
    consent_id = await desk.consent(case_id)
    accepted = await desk.handoff(case_id)  # Friday 27 November: answer by Friday 4 December
    [watch] = [w for w in desk.watches.begun if w.handoff_id == accepted]
    assert (watch.case_id, watch.provider, watch.accept_by) == (case_id, SNAP, date(2026, 12, 4))
    assert accepted not in desk.watches.ended
    await desk.http.post(
        f"/api/v1/advocacy-handoffs/{accepted}/accept",
        json={"advocate": "owain.snap"},
        headers=desk.advocate(),
    )
    assert desk.watches.ended[-1] == accepted
    await desk.http.post(
        f"/api/v1/advocacy-consents/{consent_id}/withdraw", json={}, headers=desk.officer()
    )
    assert desk.watches.ended.count(accepted) == 2  # the accepted handoff ended with the consent
    other = desk.case()
    await desk.consent(other)
    declined = await desk.handoff(other)
    await desk.http.post(
        f"/api/v1/advocacy-handoffs/{declined}/decline",
        json={"reason": "no capacity"},
        headers=desk.advocate(),
    )
    assert desk.watches.ended[-1] == declined
