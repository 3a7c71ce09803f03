"""The event table: every topic's events kept exactly as on the wire, once each, never changed;
what cannot be read or is not signed by its producer goes to the dead-letter topic."""

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from insight.models import CaseFact, InsightEvent
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import (
    AppealLodged,
    CaseOpened,
    HealthInputReceived,
    IdpIssued,
    NotificationFailed,
    ReferralReceived,
)
from llwybr_contracts.states import CaseState

from .conftest import Desk

CARDIFF = "W06000015"


def opened(case_id: str, authority: str = CARDIFF) -> CaseOpened:
    return CaseOpened(
        case_id=case_id,
        child_ref="c-1",
        authority=authority,
        received_on=date(2026, 1, 5),
        state=CaseState.DECISION_PENDING,
        deciding_body="school",
        school_ref="6812345",
    )


async def test_every_topic_is_kept_as_on_the_wire_and_once(desk: Desk) -> None:
    events = [
        ReferralReceived(
            case_id="case-a", referral_id="r-1", child_ref="c-1", source="parent",
            kind="referral", received_on=date(2026, 1, 5), authority=CARDIFF,
        ),
        opened("case-a"),
        HealthInputReceived(
            case_id="case-a", request_id="h-1", outcome="no-service", answered_on=date(2026, 2, 1)
        ),
        IdpIssued(case_id="case-a", idp_id="idp-1", on=date(2026, 3, 1)),
        AppealLodged(case_id="case-a", lodged_on=date(2026, 4, 1)),
        NotificationFailed(
            case_id="case-a", notification_id="n-1", channel="email", reason="smtp-refused"
        ),
    ]  # fmt: skip
    assert {e.topic for e in events} | {topics.JOURNEY} == set(topics.TOPICS)
    ids = [await desk.publish(e) for e in events]
    await desk.publish(events[1], event_id=ids[1])  # a redelivery
    async with desk.session() as s:
        rows = (await s.exec(select(InsightEvent))).all()
        case = await s.get(CaseFact, "case-a")
    assert sorted(r.event_id for r in rows) == sorted(ids)
    by_id = {r.event_id: r for r in rows}
    for event, event_id in zip(events, ids, strict=True):
        assert by_id[event_id].data == event.model_dump(mode="json")
        assert by_id[event_id].topic == event.topic
    assert case is not None and case.authority == CARDIFF and case.referral_source == "parent"
    assert case.appeals_lodged == ["2026-04-01"] and case.idp_maintainer == "school"


async def test_the_event_table_refuses_change(desk: Desk) -> None:
    await desk.publish(opened("case-b"))
    for statement in ("UPDATE insight_events SET topic = 'x'", "DELETE FROM insight_events"):
        with pytest.raises(DBAPIError, match="P0001"):  # the trigger raised
            async with desk.session() as s:
                await s.execute(text(statement))
    async with desk.session() as s:
        assert len((await s.exec(select(InsightEvent))).all()) == 1


async def test_unreadable_and_forged_events_are_dead_lettered(desk: Desk) -> None:
    await desk.publish_raw(b"not json", topics.REFERRAL)
    forged = wrap(opened("case-c"), event_id="forged-1", source="/x", subject="case-c")
    await desk.publish_raw(json.dumps(forged.model_dump(mode="json")).encode(), topics.REFERRAL)
    errors = [h["x-llwybr-error"] for _, h in desk.dead]
    assert len(errors) == 2
    assert "envelope" in errors[0] and errors[1].startswith("SignatureError")
    assert all(h["x-llwybr-consumer-group"] == "insight" for _, h in desk.dead)
    async with desk.session() as s:
        assert (await s.exec(select(InsightEvent))).all() == []
