"""What starts an `IdpJourney` and what its status query answers.

Workflow inputs carry ids, codes and dates only: they sit in the Temporal history and UI.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict

from llwybr_contracts.states import CaseState, DecidingBody

JOURNEY_WORKFLOW = "IdpJourney"


class JourneyInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    child_ref: str
    authority: str
    received_on: date
    state: CaseState
    deciding_body: DecidingBody | None = None
    deciding_authority: str | None = None
    school_ref: str | None = None


class JourneyStatus(BaseModel):
    case_id: str
    state: CaseState
    events_published: int
