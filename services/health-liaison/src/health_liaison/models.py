"""Tables and schemas of the health-liaison service. Request bodies are `XCreate`, response
bodies `XPublic`, a page of them `XPage` (the same names in every service).

A `HealthInputRequest` is one section 20 request as the health board's desk sees it: routed to
the Local Health Board covering the learner's authority (docs/rules.md, section 5), timed by the
`health-response` clock (Regs reg 11: 6 weeks from receipt), answered with an outcome and the
Welsh-language advice (Act s.21). Clinical notes stay here; events carry the
outcome code only.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PydField
from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from llwybr_common.errors import FieldError


class RequestStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    IMPRACTICAL = "impractical"
    WITHDRAWN = "withdrawn"


# Statuses in which the board still owes an answer (its clock can run late).
AWAITING_ANSWER = (RequestStatus.OPEN, RequestStatus.ASSIGNED)

Outcome = Literal["service-identified", "no-service"]


class HealthInputRequest(SQLModel, table=True):
    __tablename__ = "health_requests"

    request_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    authority: str = Field(index=True, description="the learner's home authority (ONS W06...)")
    board: str = Field(index=True, description="the Local Health Board answering (ONS W11...)")
    received_on: date = Field(description="receipt by the NHS body (Act s.88(6))")
    due: date | None = Field(default=None, index=True, description="None while paused or lifted")
    clock_state: str = Field(default="running", description="running, paused, lifted, met")
    calendar_version: str | None = None
    status: str = Field(default=RequestStatus.OPEN, index=True)
    assigned_kind: str | None = Field(default=None, description="clinician or team")
    assigned_to: str | None = Field(default=None, index=True)
    assigned_on: date | None = None
    outcome: str | None = None
    service: str | None = Field(default=None, description="the treatment or service identified")
    welsh_delivery: bool | None = Field(default=None, description="Act s.21 advice")
    clinical_notes: str | None = Field(default=None, description="health roles only; never leaves")
    answered_on: date | None = None
    answered_by: str | None = None
    impractical_reason: str | None = None
    impractical_on: date | None = None
    withdrawn_on: date | None = None
    escalation_level: int = 0
    last_deadline_event: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LearnerDetails(SQLModel, table=True):
    """What the health sharing agreement allows this service to keep about a learner: name,
    date of birth and NHS number (the health sharing agreement), and nothing more."""

    __tablename__ = "learner_details"

    case_id: str = Field(primary_key=True, max_length=64)
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    nhs_number: str | None = Field(default=None, max_length=10)
    source: str = Field(description="referral (claim-check) or board-system (FHIR Patient)")
    fetched_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


# --- HTTP bodies ------------------------------------------------------------------------------


class AssignmentCreate(BaseModel):
    kind: Literal["clinician", "team"]
    assignee: str = PydField(min_length=1, max_length=200, description="staff or team identifier")


class ResponseCreate(BaseModel):
    """A board's answer to a s.20 request (Act s.20(4)-(5), s.21)."""

    outcome: Outcome
    service: str | None = PydField(None, max_length=500, description="which service, if any")
    welsh_delivery: bool | None = PydField(
        None, description="whether the service should be delivered in Welsh (Act s.21)"
    )
    notes: str | None = PydField(None, max_length=20000, description="clinical notes; stay here")

    def field_errors(self) -> list[FieldError]:
        """Rules across fields, each naming the field that breaks it (422 problem+json)."""
        errors: list[FieldError] = []
        if self.outcome == "no-service":
            if self.welsh_delivery is not None:
                errors.append(FieldError("welsh_delivery", "not-with-no-service"))
            if self.service:
                errors.append(FieldError("service", "not-with-no-service"))
        else:
            if not (self.service or "").strip():
                errors.append(FieldError("service", "service-required"))
            if self.welsh_delivery is None:
                errors.append(FieldError("welsh_delivery", "welsh-delivery-required"))
        return errors


class ImpracticalCreate(BaseModel):
    reason: str = PydField(
        min_length=1, max_length=5000, description="why 6 weeks is impractical (Regs reg 11(3))"
    )


class InboxItemPublic(BaseModel):
    request_id: str
    case_id: str
    board: str
    authority: str
    received_on: date
    due: date | None
    days_remaining: int | None
    status: RequestStatus
    overdue: bool
    assigned_to: str | None = None


class InboxPage(BaseModel):
    items: list[InboxItemPublic]
    next: str | None
