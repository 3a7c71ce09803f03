"""Activities of the journey: the only place its events touch a database.

The journey publishes through its own outbox (schema `journey`), like every service, so
`llwybr replay` covers its events and an activity retry cannot publish twice.
"""

import uuid

from sqlalchemy.exc import IntegrityError
from temporalio import activity

from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_clock.errors import CalendarError
from llwybr_clock.rules import RULE_IDS
from llwybr_clock.shipped import find_authority
from llwybr_common.outbox import add_event
from llwybr_common.runtime import Runtime
from llwybr_contracts.events import payload_class
from llwybr_workflows.calendar_store import SHIPPED, CalendarSource
from llwybr_workflows.journey.contracts import CaseSetup, CaseSetupRequest, PublishJourneyEvent
from llwybr_workflows.journey.ladder import ladders_for
from llwybr_workflows.ladder_store import NO_LADDERS, LadderSource

# Stable namespace for journey event ids: uuid5(namespace, "<workflow id>/<seq>").
JOURNEY_EVENT_NAMESPACE = uuid.UUID("6f1c3b2a-7d4e-5a10-9b8c-0e2f4a6d8c11")


def journey_event_id(workflow_id: str, seq: int) -> str:
    return str(uuid.uuid5(JOURNEY_EVENT_NAMESPACE, f"{workflow_id}/{seq}"))


class JourneyActivities:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    @activity.defn(name="record_journey_event")
    async def record_journey_event(self, request: PublishJourneyEvent) -> str:
        cls = payload_class(request.event_type)
        if cls is None:
            raise ValueError(f"unknown event type {request.event_type!r}")
        event = cls.model_validate(request.payload)
        event_id = journey_event_id(request.workflow_id, request.seq)
        try:
            async with self._rt.session() as session:
                add_event(
                    session,
                    event,
                    event_id=event_id,
                    source=self._rt.source,
                    subject=request.subject,
                )
        except IntegrityError:
            pass  # written by an earlier attempt of this activity: nothing more to do
        self._rt.relay.wake()
        return event_id

    @activity.defn(name="record_journey_events")
    async def record_journey_events(self, requests: list[PublishJourneyEvent]) -> list[str]:
        """Several events of one workflow task in one transaction, in their sequence order."""
        staged = []
        for request in requests:
            cls = payload_class(request.event_type)
            if cls is None:
                raise ValueError(f"unknown event type {request.event_type!r}")
            staged.append((request, cls.model_validate(request.payload)))
        ids = [journey_event_id(r.workflow_id, r.seq) for r in requests]
        try:
            async with self._rt.session() as session:
                for (request, event), event_id in zip(staged, ids, strict=True):
                    add_event(
                        session, event, event_id=event_id, source=self._rt.source,
                        subject=request.subject,
                    )  # fmt: skip
        except IntegrityError:
            pass  # one transaction: an earlier attempt wrote them all
        self._rt.relay.wake()
        return ids


# Years of Welsh bank holidays a journey's snapshot covers from its start (a continue-as-new
# loads a fresh one, so a 12-month review cycle never runs off the end).
BANK_HOLIDAY_YEARS = 4


# Building a snapshot parses and validates a calendar (~75 ms); journeys of one authority
# share it. The key holds the store's latest change for the authority, so an import made
# through any worker (or the CLI) is seen at once by every worker.
_SETUP_CACHE_LIMIT = 256


class CaseSetupLoader:
    """`load_case_setup` on a calendar source: the journey's store in PostgreSQL in the worker,
    the shipped calendars alone where no database is (`load_case_setup` below)."""

    def __init__(self, calendars: CalendarSource, ladders: LadderSource = NO_LADDERS) -> None:
        self.calendars = calendars
        self.ladders = ladders
        self._cache: dict[tuple[object, ...], CaseSetup] = {}

    @activity.defn(name="load_case_setup")
    async def load_case_setup(self, request: CaseSetupRequest) -> CaseSetup:
        """The authority's calendar snapshot (school-day rules), a bank-holiday snapshot (weeks
        and days rules, Regs reg 2(4) roll-over), the health board and the escalation ladders."""
        authority = find_authority(request.authority)
        stamp = (
            await self.calendars.stamp(authority.ons_code),
            await self.ladders.stamp(authority.ons_code),
        )
        key = (authority.ons_code, request.school_ref, request.year, stamp)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            school = await self.calendars.snapshot(authority.ons_code, request.school_ref)
        except CalendarError:
            # an unknown school reference: the authority's own calendar still applies
            school = await self.calendars.snapshot(authority.ons_code)
        bank = bank_holiday_snapshot(request.year - 1, request.year + BANK_HOLIDAY_YEARS)
        own = await self.ladders.in_force(authority.ons_code)
        setup = CaseSetup(
            school_calendar=school.to_dict(),
            bank_holidays=bank.to_dict(),
            board=authority.health_board_ons_code,
            ladders=ladders_for(tuple(RULE_IDS), {r: v.steps for r, v in own.items()}),
            ladder_versions={r: v.version for r, v in own.items() if v.steps is not None},
        )
        if len(self._cache) >= _SETUP_CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = setup
        return setup


_SHIPPED_LOADER = CaseSetupLoader(SHIPPED)


@activity.defn(name="load_case_setup")
async def load_case_setup(request: CaseSetupRequest) -> CaseSetup:
    """The activity the workflow names; a worker registers a store-backed `CaseSetupLoader`
    under the same name. Run alone it counts on the shipped calendars."""
    return await _SHIPPED_LOADER.load_case_setup(request)
