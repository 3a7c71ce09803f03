"""The family's view of their case through the signed link sent with each notice (Act s.9,
s.70; docs/rules.md section 7): only with a link Llwybr signed for this very case, passed on by
a service (the console); a tampered, foreign or expired link reads nothing and says nothing of
whether the case exists; every view, and every refused one, is audited."""

import time
import uuid
from datetime import UTC, datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from llwybr_common import family_link
from llwybr_common.audit import AuditRecord
from llwybr_common.db import session_scope
from referral.models import TimelineEntry

from .conftest import Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

PARENT = {"name": "Nia Jones", "email": "nia.jones@example.cymru"}


async def _case(desk: Desk) -> str:
    r = await desk.http.post(
        "/api/v1/referrals", json=referral(family_contact=PARENT), headers=desk.officer()
    )
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


def _view(desk: Desk, case_id: str, link: str, role: str = "service") -> dict[str, str]:
    return {**desk.token(role), family_link.HEADER: link}


async def test_the_link_shows_the_family_their_case_and_nothing_of_anyone_else(
    desk: Desk,
) -> None:
    case_id = await _case(desk)
    async with session_scope(desk.rt.engine) as session:  # as the projection writes them
        for kind, detail in (
            ("AlnDecided", "no ALN by local-authority on 2026-11-20"),
            ("AppealWindowOpened", "notice 2026-11-23, appeal by 2027-01-18"),
        ):
            session.add(
                TimelineEntry(
                    id=str(uuid.uuid4()),
                    case_id=case_id,
                    at=datetime.now(UTC),
                    kind=kind,
                    detail=detail,
                    event_id=str(uuid.uuid4()),
                )
            )
    link = family_link.sign(desk.rt.settings, case_id, "notice-1")
    r = await desk.http.get(
        f"/api/v1/cases/{case_id}/family-view", headers=_view(desk, case_id, link)
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["case_id"] == case_id
    assert view["authority_name_en"] == "Cardiff" and view["authority_name_cy"] == "Caerdydd"
    assert [c["rule"] for c in view["clocks"]] == ["la-decision"]
    assert view["decisions"] == [
        {"has_aln": False, "deciding_body": "local-authority", "decided_on": "2026-11-20"}
    ]
    assert view["appeal_due"] == "2027-01-18"
    text = r.text
    for private in (PARENT["email"], PARENT["name"], "family_name", "date_of_birth", "concern"):
        assert private not in text, f"{private} is no part of the family view"

    audited = await desk.rows(AuditRecord, case_id=case_id, resource="family-view")
    assert [(a.action, a.outcome) for a in audited] == [("read", "ok")]
    assert "notice-1" in (audited[0].purpose or "")


async def test_bad_links_read_nothing_and_say_nothing_of_the_case(desk: Desk) -> None:
    case_id, other = await _case(desk), str(uuid.uuid4())
    settings = desk.rt.settings
    good = family_link.sign(settings, case_id, "n")
    forged = URLSafeTimedSerializer("not-llwybrs-key", salt=family_link.SALT).dumps(
        {"c": case_id, "n": "n"}
    )
    answers = []
    for link, asked in (
        (good[:-3] + "AAA", case_id),  # tampered
        (forged, case_id),  # signed with another key
        (good, other),  # a real link, another case
        (family_link.sign(settings, other, "n"), other),  # a real link, no such case
    ):
        r = await desk.http.get(
            f"/api/v1/cases/{asked}/family-view", headers=_view(desk, asked, link)
        )
        assert r.status_code == 404, r.text
        answers.append({k: v for k, v in r.json().items() if k != "instance"})
    assert answers[0]["code"] == "not-found.family-link"
    assert all(a == answers[0] for a in answers), "one answer, whether the case exists or not"

    with pytest.MonkeyPatch.context() as mp:  # a link sent a day past the links' lifetime
        days = settings.family_link_days + 1
        mp.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - days * 86400)
        old = family_link.sign(settings, case_id, "n")
    r = await desk.http.get(
        f"/api/v1/cases/{case_id}/family-view", headers=_view(desk, case_id, old)
    )
    assert r.status_code == 404 and r.json()["code"] == "family-link-expired", r.text

    refused = await desk.rows(AuditRecord, action="denied", resource="family-view")
    assert sorted(a.outcome for a in refused) == [
        "family-link-expired",
        *["not-found.family-link"] * 4,
    ]


async def test_only_a_service_passes_a_link_on(desk: Desk) -> None:
    case_id = await _case(desk)
    link = family_link.sign(desk.rt.settings, case_id, "n")
    for role, scope in (("la-officer", "la:W06000015"), ("advocate", "advocacy:snap-cymru")):
        r = await desk.http.get(
            f"/api/v1/cases/{case_id}/family-view",
            headers={**desk.token(role, scope), family_link.HEADER: link},
        )
        assert r.status_code == 403 and r.json()["code"] == "access.services-only", r.text
    r = await desk.http.get(f"/api/v1/cases/{case_id}/family-view", headers=desk.token("service"))
    assert r.status_code == 404 and r.json()["code"] == "not-found.family-link", "no link"
