"""Referral intake inside one transaction: the child, the case, the referral and the outbox
rows are written together or not at all."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from llwybr_clock.shipped import find_authority
from llwybr_common.outbox import add_event
from llwybr_contracts.events import CaseOpened, ReferralReceived
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.models import Case, Child, Referral, ReferralAccepted, ReferralCreate


@dataclass(frozen=True)
class Intake:
    accepted: ReferralAccepted
    journey: JourneyInput


def _route(body: ReferralCreate, authority: str) -> tuple[DecidingBody, str | None]:
    # Skeleton routing (ALN_RULES.md section 4): a registered pupil's school decides,
    # otherwise the home LA. The full rule table comes with the intake issue.
    if body.school_ref:
        return DecidingBody.SCHOOL, None
    return DecidingBody.LOCAL_AUTHORITY, authority


async def receive_referral(session: AsyncSession, *, body: ReferralCreate, source: str) -> Intake:
    authority = find_authority(body.authority).ons_code
    deciding_body, deciding_authority = _route(body, authority)
    child = Child(
        id=str(uuid.uuid4()),
        child_ref=f"ch-{uuid.uuid4().hex[:12]}",
        given_name=body.learner.given_name,
        family_name=body.learner.family_name,
        date_of_birth=body.learner.date_of_birth,
        preferred_language=body.preferred_language.value,
    )

    case = Case(
        id=str(uuid.uuid4()),
        child_id=child.id,
        authority=authority,
        school_ref=body.school_ref,
        state=CaseState.DECISION_PENDING.value,
        deciding_body=deciding_body.value,
        deciding_authority=deciding_authority,
        opened_at=datetime.now(UTC),
    )
    referral = Referral(
        id=str(uuid.uuid4()),
        case_id=case.id,
        source=body.source.value,
        received_on=body.received_on,
        concern=body.concern,
    )
    session.add(child)
    await session.flush()
    session.add(case)
    await session.flush()
    session.add(referral)
    add_event(
        session,
        ReferralReceived(
            case_id=case.id,
            referral_id=referral.id,
            child_ref=child.child_ref,
            source=referral.source,
            kind=referral.kind,
            received_on=referral.received_on,
            authority=authority,
        ),
        event_id=str(uuid.uuid4()),
        source=source,
        subject=case.id,
    )
    add_event(
        session,
        CaseOpened(
            case_id=case.id,
            child_ref=child.child_ref,
            authority=authority,
            received_on=body.received_on,
            state=CaseState.DECISION_PENDING,
            deciding_body=deciding_body,
            deciding_authority=deciding_authority,
            school_ref=body.school_ref,
        ),
        event_id=str(uuid.uuid4()),
        source=source,
        subject=case.id,
    )
    journey = JourneyInput(
        case_id=case.id,
        child_ref=child.child_ref,
        authority=authority,
        received_on=body.received_on,
        state=CaseState.DECISION_PENDING,
        deciding_body=deciding_body,
        deciding_authority=deciding_authority,
        school_ref=body.school_ref,
    )
    accepted = ReferralAccepted(
        case_id=case.id,
        referral_id=referral.id,
        deciding_body=deciding_body,
        deciding_authority=deciding_authority,
        state=CaseState.DECISION_PENDING,
    )
    return Intake(accepted=accepted, journey=journey)
