"""What a reader sees of a case: the list item and the detail view."""

from collections.abc import Sequence
from datetime import date
from typing import Literal

from llwybr_contracts import journey as j
from llwybr_contracts.vocabulary import window_closed
from referral.models import Case, CaseClock, CaseHealthAnswer, Child, TimelineEntry
from referral.schemas import (
    CaseDetailPublic,
    CasePublic,
    ClockBriefPublic,
    FamilyContactPublic,
    HealthAnswerPublic,
    LearnerPublic,
    TimelineEntryPublic,
)


def case_public(
    case: Case, child: Child, today: date, clocks: Sequence[tuple[CaseClock, bool]] = ()
) -> CasePublic:
    return CasePublic(
        case_id=case.id,
        child_ref=child.child_ref,
        authority=case.authority,
        school_ref=case.school_ref,
        state=case.state,
        deciding_body=case.deciding_body,
        deciding_authority=case.deciding_authority,
        next_rule=case.next_rule,
        next_due=case.next_due,
        overdue=bool(case.next_due and case.next_due < today),
        flags=list(case.flags),
        deciding_institution=case.institution_ukprn,
        detained=case.detained,
        open_clocks=[
            ClockBriefPublic(
                rule=c.rule,
                subject=c.subject or None,
                due=c.due,
                status=_brief_status(c, today),
                at_risk=at_risk,
            )
            for c, at_risk in clocks
        ],
    )


def _brief_status(clock: CaseClock, today: date) -> Literal["running", "paused", "closed"]:
    if clock.status == "paused":
        return "paused"
    # A party's window past its date: nobody is late (docs/rules.md#windows).
    return "closed" if window_closed(clock.rule, clock.due, today) else "running"


def family_contact(child: Child) -> FamilyContactPublic | None:
    if not child.contact_email:
        return None
    return FamilyContactPublic(name=child.contact_name or "", email=child.contact_email)


def case_detail(
    case: Case,
    child: Child,
    today: date,
    *,
    status: j.JourneyStatus | None,
    timeline: Sequence[TimelineEntry],
    projected: Sequence[CaseClock],
    answers: Sequence[CaseHealthAnswer] = (),
) -> CaseDetailPublic:
    """The journey's own clocks when it answers, else this service's projection of them."""
    if status is not None:
        clocks, source = list(status.clocks), "journey"
    else:
        clocks = [
            j.ClockView(
                rule=c.rule,
                start=c.start or case.opened_at.date(),
                due=c.due,
                status=c.status,
                met_on=c.met_on,
                calendar_version=c.calendar_version,
                subject=c.subject or None,
            )
            for c in projected
        ]
        source = "projection"
    return CaseDetailPublic(
        **case_public(case, child, today).model_dump(),
        learner=LearnerPublic(
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            upn=child.upn,
            nhs_number=child.nhs_number,
            language_of_education=child.language_of_education,
            preferred_language=child.preferred_language,
        ),
        looked_after=case.looked_after,
        looking_after_authority=case.looking_after_authority,
        dual_registered=case.dual_registered,
        family_contact=family_contact(child),
        iro_email=child.iro_email,
        routing_reason=case.routing_reason,
        clocks=clocks,
        clocks_source=source,  # type: ignore[arg-type]
        timeline=[
            TimelineEntryPublic(at=t.at.isoformat(), kind=t.kind, detail=t.detail) for t in timeline
        ],
        health_answers=[
            HealthAnswerPublic(
                request_id=a.request_id,
                service_identified=a.outcome == "service-identified",
                welsh_delivery=a.welsh_delivery,
                answered_on=a.answered_on,
            )
            for a in sorted(answers, key=lambda a: (a.answered_on, a.request_id))
        ],
    )


def for_advocate(detail: CaseDetailPublic) -> CaseDetailPublic:
    """An advocate reads the case summary, clocks and timeline the family agreed to share; the
    learner's NHS number and UPN are no part of advocacy (least privilege)."""
    learner = detail.learner.model_copy(update={"nhs_number": None, "upn": None})
    # the boards' answers are health information the family's consent does not name
    return detail.model_copy(update={"learner": learner, "iro_email": None, "health_answers": []})
