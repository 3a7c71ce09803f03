"""Intake's first due date is the journey's: for every routing branch, a referral through the
API (real PostgreSQL, the real `IdpJourney` on Temporal) answers with the date, rule and
`assumed` the journey's own status shows for its first clock, on the same calendar snapshot;
a calendar the dates outrun is null and flagged on both sides (never weekdays); no clock on
either side while a young person's consent is pending. And when a calendar changes between the
answer and the journey's load, the journey's date wins and the case list follows it."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from llwybr_clock.shipped import find_authority
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_common.db import session_scope
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import payload_class
from llwybr_contracts.journey import JourneyStatus
from llwybr_contracts.temporal import SEARCH_ATTRIBUTES, TASK_QUEUE
from llwybr_workflows.calendar_store import SHIPPED, CalendarText, snapshot_from
from llwybr_workflows.handoff_watch import HandoffWatch
from llwybr_workflows.journey.activities import CaseSetupLoader, journey_event_id
from llwybr_workflows.journey.contracts import CaseSetupRequest, PublishJourneyEvent
from llwybr_workflows.journey.health import HealthInput
from llwybr_workflows.journey.workflows import IdpJourney
from referral import projection
from referral.calendars import Calendars
from referral.journey_client import TemporalJourney
from referral.models import Case

from .conftest import CARDIFF, SWANSEA, Desk
from .test_intake_and_commands import referral

pytestmark = pytest.mark.service

FIXTURE = Path(__file__).parents[3] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"
BOARD = "W11000029"  # Cardiff and Vale
UKPRN = "10099011"  # Cardiff and Vale College


class LoaderCalendars:
    """What the worker's `/internal/journey-calendars` serves: the journey's own loader."""

    def __init__(self, loader: CaseSetupLoader) -> None:
        self.loader = loader

    async def calendars(self, authority: str, school: str | None, year: int) -> Calendars:
        setup = await self.loader.load_case_setup(
            CaseSetupRequest(authority=authority, school_ref=school, year=year)
        )
        school_calendar = setup.school_calendar
        return Calendars(
            school=CalendarSnapshot.from_dict(school_calendar) if school_calendar else None,
            bank=CalendarSnapshot.from_dict(setup.bank_holidays),
        )


class Imported:
    """A calendar store holding one imported calendar for Cardiff (the fixture's 2026-27)."""

    async def snapshot(self, authority: str, school: str | None = None) -> Any:
        rows = [CalendarText(CARDIFF, None, "csv", FIXTURE.read_text(encoding="utf-8"))]
        return snapshot_from(find_authority(authority), school, rows)

    async def stamp(self, ons_code: str) -> object:
        return "imported"


async def _register(env: WorkflowEnvironment) -> None:
    kinds = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
             "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}  # fmt: skip
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={n: kinds[t] for n, t in SEARCH_ATTRIBUTES.items()},
            )
        )
    except Exception as exc:  # registered by an earlier test
        if "already" not in str(exc).lower():
            raise


@asynccontextmanager
async def journey_worker(
    env: WorkflowEnvironment, loader: CaseSetupLoader
) -> AsyncIterator[list[PublishJourneyEvent]]:
    """The real journey on `env`, loading calendars through `loader`; yields what it publishes."""
    published: list[PublishJourneyEvent] = []

    @activity.defn(name="record_journey_event")
    async def record(request: PublishJourneyEvent) -> str:
        published.append(request)
        return journey_event_id(request.workflow_id, request.seq)

    @activity.defn(name="record_journey_events")
    async def record_many(requests: list[PublishJourneyEvent]) -> list[str]:
        published.extend(requests)
        return [journey_event_id(r.workflow_id, r.seq) for r in requests]

    await _register(env)
    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=[IdpJourney, HealthInput, HandoffWatch],
        activities=[record, record_many, loader.load_case_setup],
    ):
        yield published


async def settled(journey: TemporalJourney, case_id: str) -> JourneyStatus:
    """The journey's status once its calendars are loaded (a clock, or its ClockError)."""
    for _ in range(200):
        status = await journey.status(case_id)
        if status is not None and (
            status.clocks or any(t.kind in ("ClockError",) for t in status.timeline)
        ):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"journey {case_id} never loaded its calendars")


def learner(born: str, **extra: Any) -> dict[str, Any]:
    return {"given_name": "Cai", "family_name": f"Jones-{uuid.uuid4().hex[:8]}",
            "date_of_birth": born, **extra}  # fmt: skip


GIVEN = {"status": "given", "date": "2026-11-18"}
# (routing reason, overrides, who refers: la | swansea | declo, the rule routing picks)
BRANCHES: list[tuple[str, dict[str, Any], str, str]] = [
    ("registered-pupil", {"source": "school", "school": {"ref": "6812345"}}, "la", "school-decision"),
    ("registered-pupil-unknown-school", {"source": "school", "school": {"ref": "6899999"}}, "la", "school-decision"),
    ("school-not-maintained", {"school": {"ref": "6816003"}}, "la", "la-decision"),
    ("under-compulsory-school-age", {"learner": learner("2023-03-01")}, "la", "la-decision"),
    ("under-compulsory-school-age", {"source": "health-body", "referral_type": "health-notice-s64", "learner": learner("2023-06-01")}, "declo", "la-decision"),
    ("looked-after", {"learner": learner("2017-05-02", looked_after=True, looking_after_authority="Abertawe"), "school": {"ref": "6812345"}}, "swansea", "la-decision"),
    ("dual-registered", {"learner": learner("2017-05-02", dual_registered=True), "school": {"ref": "6812345"}}, "la", "la-decision"),
    ("school-referral-to-la", {"source": "school", "referral_type": "school-referral-to-la", "school": {"ref": "6812345"}}, "la", "la-decision"),
    ("direct-request", {"referral_type": "direct-request", "school": {"ref": "6812345"}}, "la", "la-decision"),
    ("not-at-school", {}, "la", "la-decision"),
    ("fei-student", {"learner": learner("2009-03-02", consent=GIVEN), "institution": {"ukprn": UKPRN}}, "la", "fei-decision"),
    ("registered-pupil", {"learner": learner("2009-03-02", consent=GIVEN), "school": {"ref": "6814002"}}, "la", "school-decision"),
    ("not-at-school", {"learner": learner("2008-01-10", consent=GIVEN), "source": "young-person"}, "la", "la-not-necessary"),
    ("detained-person", {"learner": learner("2012-02-02", detained=True)}, "la", "la-decision"),
    ("registered-pupil", {"source": "school", "school": {"ref": "6812345"}, "received_on": "2026-11-27"}, "la", "school-decision"),
]  # fmt: skip


def caller(desk: Desk, who: str) -> dict[str, str]:
    if who == "swansea":
        return desk.officer(SWANSEA)
    if who == "declo":
        return desk.token("declo", f"board:{BOARD}")
    return desk.officer(CARDIFF)


async def test_intake_answers_each_branch_with_the_journeys_own_first_clock(
    desk: Desk, temporal_env: WorkflowEnvironment
) -> None:
    loader = CaseSetupLoader(SHIPPED)
    journey = TemporalJourney(temporal_env.client)
    desk.app.state.journey = journey
    desk.app.state.calendars = LoaderCalendars(loader)
    async with journey_worker(temporal_env, loader):
        for reason, overrides, who, rule in BRANCHES:
            r = await desk.http.post(
                "/api/v1/referrals", json=referral(**overrides), headers=caller(desk, who)
            )
            assert r.status_code == 201, r.text
            out = r.json()
            assert (out["routing_reason"], out["clock"]["rule"]) == (reason, rule), out
            assert out["clock"]["due"] is not None, out
            status = await settled(journey, out["case_id"])
            (view,) = [c for c in status.clocks if c.rule == rule]
            answered = (out["clock"]["due"], out["clock"]["assumed"])
            assert answered == (view.due.isoformat() if view.due else None, view.assumed), reason

        # a school-day clock from June 2025, before the shipped term dates: null and flagged
        # here, a ClockError there; never counted on weekdays (docs/rules.md, Coverage)
        early = referral(source="school", school={"ref": "6812345"}, received_on="2025-06-02")
        r = await desk.http.post("/api/v1/referrals", json=early, headers=desk.officer())
        out = r.json()
        assert out["clock"]["due"] is None and "CoverageError" in out["clock"]["why_null"]
        assert "clock-not-computed" in out["flags"]
        status = await settled(journey, out["case_id"])
        assert status.clocks == []
        assert any(t.detail == "rule=school-decision CoverageError" for t in status.timeline)

        # a young person whose consent is pending: no clock on either side
        pending = referral(learner=learner("2008-01-10", consent={"status": "pending"}))
        r = await desk.http.post("/api/v1/referrals", json=pending, headers=desk.officer())
        out = r.json()
        assert (out["state"], out["clock"]["due"]) == ("consent-pending", None)
        assert "consent" in out["clock"]["why_null"]
        await asyncio.sleep(0.5)
        status = await journey.status(out["case_id"])
        assert status is not None and status.clocks == []


async def test_a_calendar_changed_before_the_journey_loads_it_is_the_journeys_date_that_stays(
    desk: Desk, temporal_env: WorkflowEnvironment
) -> None:
    # intake counted on the shipped (illustrative) calendar; the journey loads Cardiff's
    # imported one, whose 2026-27 term dates differ
    journey = TemporalJourney(temporal_env.client)
    desk.app.state.journey = journey
    desk.app.state.calendars = LoaderCalendars(CaseSetupLoader(SHIPPED))
    async with journey_worker(temporal_env, CaseSetupLoader(Imported())) as published:
        body = referral(source="school", school={"ref": "6812345"}, received_on="2026-11-10")
        r = await desk.http.post("/api/v1/referrals", json=body, headers=desk.officer())
        out = r.json()
        status = await settled(journey, out["case_id"])
    (view,) = status.clocks
    assert view.due is not None and out["clock"]["due"] != view.due.isoformat(), (
        "the fixture no longer differs from the shipped calendar here"
    )
    case_id = out["case_id"]
    await project(desk, [e for e in published if e.subject == case_id])
    case = await desk.rows(Case, id=case_id)
    assert (case[0].next_rule, case[0].next_due) == ("school-decision", view.due)
    listed = await desk.http.get("/api/v1/cases", headers=desk.officer())
    (item,) = [i for i in listed.json()["items"] if i["case_id"] == case_id]
    assert item["next_due"] == view.due.isoformat()


async def project(desk: Desk, events: list[PublishJourneyEvent]) -> None:
    """The journey's events through the referral's projection, as its consumer applies them."""
    make: Callable[[PublishJourneyEvent], CloudEvent] = lambda e: CloudEvent(  # noqa: E731
        id=journey_event_id(e.workflow_id, e.seq), source="/llwybr/worker", type=e.event_type,
        subject=e.subject, time=datetime.now(UTC), data=e.payload,
    )  # fmt: skip
    async with session_scope(desk.rt.engine) as session:
        for e in events:
            cls = payload_class(e.event_type)
            assert cls is not None
            await projection.apply(session, make(e), cls.model_validate(e.payload))
