"""Messages between the journey workflow and its activities."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class PublishJourneyEvent(BaseModel):
    """One event for the journey's outbox. `seq` numbers the workflow's events, so the event id
    (derived from workflow id and seq) is the same on every activity retry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workflow_id: str
    seq: int
    subject: str
    event_type: str
    payload: dict[str, Any]
