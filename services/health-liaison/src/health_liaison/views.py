"""What each reader sees of a request. Health roles: everything, clinical notes included.
LA roles: the outcome and the Welsh-delivery advice for their own cases, never the notes."""

from datetime import date
from typing import Any

from health_liaison.models import HealthInputRequest, InboxItem, LearnerDetails, RequestStatus
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


def inbox_item(request: HealthInputRequest, today: date) -> InboxItem:
    return InboxItem(
        request_id=request.request_id,
        case_id=request.case_id,
        board=request.board,
        authority=request.authority,
        received_on=request.received_on,
        due=request.due,
        days_remaining=days_remaining(request, today),
        status=RequestStatus(request.status),
        overdue=is_overdue(request, today),
        assigned_to=request.assigned_to,
    )


def _common(request: HealthInputRequest, today: date) -> dict[str, Any]:
    lhb = board(request.board)
    return {
        **inbox_item(request, today).model_dump(mode="json"),
        "board_name": {"cy": lhb.name_cy, "en": lhb.name_en},
        "clock_state": request.clock_state,
        "outcome": request.outcome,
        "service": request.service,
        "welsh_delivery": request.welsh_delivery,
        "answered_on": request.answered_on.isoformat() if request.answered_on else None,
        "impractical_on": request.impractical_on.isoformat() if request.impractical_on else None,
        "withdrawn_on": request.withdrawn_on.isoformat() if request.withdrawn_on else None,
    }


def for_la(request: HealthInputRequest, today: date) -> dict[str, Any]:
    body = _common(request, today)
    body.pop("assigned_to", None)
    return body


def for_health(
    request: HealthInputRequest,
    today: date,
    *,
    learner: LearnerDetails | None = None,
    reason: str | None = None,
    with_claim_check: bool = False,
) -> dict[str, Any]:
    body = {
        **_common(request, today),
        "assigned_kind": request.assigned_kind,
        "assigned_on": request.assigned_on.isoformat() if request.assigned_on else None,
        "clinical_notes": request.clinical_notes,
        "answered_by": request.answered_by,
        "impractical_reason": request.impractical_reason,
        "escalation_level": request.escalation_level,
        "last_deadline_event": request.last_deadline_event,
        "calendar_version": request.calendar_version,
    }
    if with_claim_check:
        body["reason_for_referral"] = reason
        if reason is None:
            body["reason_for_referral_unavailable"] = REASON_UNAVAILABLE
        if learner is None:
            body["learner"] = None
            body["learner_unavailable"] = LEARNER_UNAVAILABLE
        else:
            body["learner"] = {
                "given_name": learner.given_name,
                "family_name": learner.family_name,
                "date_of_birth": learner.date_of_birth.isoformat()
                if learner.date_of_birth
                else None,
                "nhs_number": learner.nhs_number,
            }
    return body
