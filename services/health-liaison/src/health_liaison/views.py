"""What each reader sees of a request. Health roles: everything, clinical notes included.
LA roles: the outcome and the Welsh-delivery advice for their own cases, never the notes."""

from datetime import date
from typing import Any

from pydantic import BaseModel

from health_liaison.models import HealthInputRequest, InboxItemPublic, LearnerDetails, RequestStatus
from health_liaison.routing import board
from health_liaison.service import days_remaining, is_overdue

LEARNER_UNAVAILABLE = {
    "cy": "Nid yw manylion y dysgwr ar gael ar hyn o bryd (ni atebodd y gwasanaeth atgyfeirio).",
    "en": "Learner details are unavailable just now (the referral service did not answer).",
}
REASON_UNAVAILABLE = {
    "cy": "Nid yw'r rheswm dros atgyfeirio ar gael ar hyn o bryd.",
    "en": "The reason for referral is unavailable just now.",
}


def inbox_item(
    request: HealthInputRequest, today: date, *, for_health: bool = True
) -> InboxItemPublic:
    """One row of the inbox; an LA officer's row names no assignee, as its detail does not."""
    return InboxItemPublic(
        request_id=request.request_id,
        case_id=request.case_id,
        board=request.board,
        authority=request.authority,
        received_on=request.received_on,
        due=request.due,
        days_remaining=days_remaining(request, today),
        status=RequestStatus(request.status),
        overdue=is_overdue(request, today),
        assigned_to=request.assigned_to if for_health else None,
    )


class Bilingual(BaseModel):
    cy: str
    en: str


class LearnerPublic(BaseModel):
    """What the health sharing agreement allows: name, date of birth, NHS number."""

    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    nhs_number: str | None


class HealthRequestOutcomePublic(InboxItemPublic):
    """An LA officer's view of a request for their own case: the outcome, never the notes."""

    board_name: Bilingual
    clock_state: str
    outcome: str | None
    service: str | None
    welsh_delivery: bool | None
    answered_on: date | None
    impractical_on: date | None
    withdrawn_on: date | None


class HealthRequestDetailPublic(HealthRequestOutcomePublic):
    """The board's view: what it needs to act on the request."""

    assigned_kind: str | None
    assigned_on: date | None
    clinical_notes: str | None
    answered_by: str | None
    impractical_reason: str | None
    escalation_level: int
    last_deadline_event: str | None
    calendar_version: str | None
    reason_for_referral: str | None = None
    reason_for_referral_unavailable: Bilingual | None = None
    learner: LearnerPublic | None = None
    learner_unavailable: Bilingual | None = None


def _outcome_fields(request: HealthInputRequest, today: date) -> dict[str, Any]:
    lhb = board(request.board)
    return {
        **inbox_item(request, today).model_dump(),
        "board_name": Bilingual(cy=lhb.name_cy, en=lhb.name_en),
        "clock_state": request.clock_state,
        "outcome": request.outcome,
        "service": request.service,
        "welsh_delivery": request.welsh_delivery,
        "answered_on": request.answered_on,
        "impractical_on": request.impractical_on,
        "withdrawn_on": request.withdrawn_on,
    }


def for_la(request: HealthInputRequest, today: date) -> HealthRequestOutcomePublic:
    return HealthRequestOutcomePublic(**{**_outcome_fields(request, today), "assigned_to": None})


def for_health(
    request: HealthInputRequest,
    today: date,
    *,
    learner: LearnerDetails | None = None,
    reason: str | None = None,
    with_claim_check: bool = False,
) -> HealthRequestDetailPublic:
    detail = HealthRequestDetailPublic(
        **_outcome_fields(request, today),
        assigned_kind=request.assigned_kind,
        assigned_on=request.assigned_on,
        clinical_notes=request.clinical_notes,
        answered_by=request.answered_by,
        impractical_reason=request.impractical_reason,
        escalation_level=request.escalation_level,
        last_deadline_event=request.last_deadline_event,
        calendar_version=request.calendar_version,
    )
    if with_claim_check:
        detail.reason_for_referral = reason
        if reason is None:
            detail.reason_for_referral_unavailable = Bilingual(**REASON_UNAVAILABLE)
        if learner is None:
            detail.learner_unavailable = Bilingual(**LEARNER_UNAVAILABLE)
        else:
            detail.learner = LearnerPublic(
                given_name=learner.given_name,
                family_name=learner.family_name,
                date_of_birth=learner.date_of_birth,
                nhs_number=learner.nhs_number,
            )
    return detail
