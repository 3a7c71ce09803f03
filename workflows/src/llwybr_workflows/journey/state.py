"""`JourneyState`: everything an `IdpJourney` knows, one value. The rules (rules.py) take it and
return the next one; the workflow carries it whole across continue-as-new. Ids, codes and dates
only (it sits in Temporal histories)."""

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llwybr_contracts.journey import JourneyInput, TimelineEntry
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_workflows.journey.contracts import (
    CaseSetup,
    ClockRecord,
    HealthRequestRecord,
    JourneyCarry,
)


class JourneyState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    journey: JourneyInput
    state: CaseState
    closed: bool = False
    deciding_body: DecidingBody | None = None
    deciding_authority: str | None = None
    maintainer: DecidingBody | None = Field(None, description="who maintains the IDP")
    clocks: tuple[ClockRecord, ...] = Field((), description="in the order they were started")
    health_requests: tuple[HealthRequestRecord, ...] = ()
    seen: tuple[str, ...] = Field((), description="event ids of facts already applied")
    timeline: tuple[TimelineEntry, ...] = ()
    reviews_held: int = 0
    decided: bool = False
    appeal_lodged: bool = False
    exception_ids: tuple[str, ...] = ()
    seq: int = Field(0, description="events published so far (the next event id follows)")
    advocacy_provider: str | None = Field(
        None, description="the provider whose advocate accepted a handoff (its scope)"
    )
    advocate_alerts: tuple[str, ...] = Field(
        (), description="the appeal-window due dates the advocate was alerted for"
    )
    token_roles: bool = Field(
        False, description="alerts name the head of service by its token role (a patch)"
    )
    detained: bool = Field(False, description="in youth detention (Act ss.39-56), not released")
    released_on: date | None = Field(None, description="the release date (Regs reg 18)")
    close_after_review: bool = Field(
        False,
        description="the Tribunal's decision ends the case once its review window passes"
        " with no review asked (ETW Regs reg 53)",
    )
    setup: CaseSetup | None = Field(
        None, description="calendar snapshots, board and ladders: None while still loading"
    )

    @property
    def ready(self) -> bool:
        return self.setup is not None


def carried(journey: JourneyInput, carry: Any) -> JourneyState:
    """The state a continued run starts from: a `JourneyState`, or the `JourneyCarry` of a run
    that continued-as-new before the state was one value (both shapes stay readable)."""
    if isinstance(carry, JourneyState):
        return carry
    if isinstance(carry, dict) and "journey" in carry:
        return JourneyState.model_validate(carry)
    old = JourneyCarry.model_validate(carry)
    return JourneyState(
        journey=journey,
        state=old.state,
        deciding_body=old.deciding_body,
        deciding_authority=old.deciding_authority,
        maintainer=DecidingBody(old.maintainer) if old.maintainer else None,
        clocks=old.clocks,
        health_requests=old.health_requests,
        seen=old.seen,
        timeline=old.timeline,
        reviews_held=old.reviews_held,
        decided=old.decided,
        appeal_lodged=old.appeal_lodged,
        exception_ids=old.exception_ids,
        seq=old.seq,
        setup=old.setup,
    )
