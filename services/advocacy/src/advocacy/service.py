"""What the advocacy service does. Every function is keyword-only and works inside the caller's
one unit of work: state, audit record and outbox rows commit together or not at all. Refusals
are domain errors (`llwybr_common.errors`), never HTTP errors. The case's scope and clocks come
from the referral service (claim-check) before the unit of work opens, as a `CaseFacts`."""

import uuid
from datetime import UTC, date, datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from advocacy.access import Viewer
from advocacy.models import (
    AdvocacyConsent,
    AdvocacyHandoff,
    AdvocateAccessPublic,
    Appeal,
    AppealCreate,
    AppealDecisionCreate,
    ConsentCreate,
    Disagreement,
    DisagreementCreate,
    DisagreementOutcomeCreate,
    HandoffCreate,
    HandoffStatus,
)
from advocacy.providers import find_provider
from advocacy.referral_client import CaseFacts
from llwybr_clock.shipped import shipped_snapshot
from llwybr_common.errors import AccessDenied, Conflict, FieldError, Invalid, NotFound
from llwybr_common.unit_of_work import UnitOfWork
from llwybr_contracts.events import (
    AdvocacyHandoffAccepted,
    AppealDecided,
    AppealLodged,
    DisagreementConcluded,
    DisagreementRaised,
)
from llwybr_contracts.vocabulary import RuleId

# Not statutory: the service level a provider is held to before its lead is told [assumed,
# docs/rules.md section 7].
ACCEPT_WITHIN_WORKING_DAYS = 5
OPEN = (HandoffStatus.OFFERED, HandoffStatus.ACCEPTED)
# Orders that keep (or give) the learner an IDP: the journey reads them as the outcome `aln`,
# so a no-ALN or ceasing case is not closed by the decision (docs/events.md).
ORDERS_KEEPING_AN_IDP = ("prepare-idp", "maintain-idp")


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


# --- pure rules -------------------------------------------------------------------------------


def consent_standing(consent: AdvocacyConsent, today: date) -> bool:
    """Consent stands from its first day to its last, until withdrawn (at once, Act s.69)."""
    if consent.withdrawn_at is not None or today < consent.valid_from:
        return False
    return consent.valid_until is None or today <= consent.valid_until


def accept_by(offered_on: date, authority: str) -> date:
    """The fifth working day after the offer (weekends and Welsh bank holidays skipped)."""
    snapshot = shipped_snapshot(authority)
    day, left = offered_on.toordinal(), ACCEPT_WITHIN_WORKING_DAYS
    while left:
        day += 1
        if snapshot.is_working_day(day):
            left -= 1
    return date.fromordinal(day)


def appeal_outcome_code(decision: AppealDecisionCreate) -> str:
    """The outcome code `AppealDecided` carries (ids and codes only)."""
    if decision.order is not None and decision.order.kind in ORDERS_KEEPING_AN_IDP:
        return "aln"
    return decision.order.kind if decision.order is not None else decision.outcome


def _not_in_future(field: str, day: date, today: date) -> list[FieldError]:
    if day > today:
        return [FieldError(field, "advocacy.date-in-future", {"today": str(today)})]
    return []


def _known_provider(provider: str) -> None:
    if find_provider(provider) is None:
        raise Invalid(FieldError("provider", "advocacy.unknown-provider", {"value": provider}))


# --- consent ----------------------------------------------------------------------------------


async def standing_consent(
    session: AsyncSession, *, case_id: str, provider: str, today: date
) -> AdvocacyConsent | None:
    rows = (
        await session.exec(
            select(AdvocacyConsent)
            .where(AdvocacyConsent.case_id == case_id, AdvocacyConsent.provider == provider)
            .order_by(col(AdvocacyConsent.recorded_at).desc())
        )
    ).all()
    return next((c for c in rows if consent_standing(c, today)), None)


def require_own_provider(viewer: Viewer, provider: str) -> None:
    """A provider records consent on the family's behalf for itself only."""
    if not viewer.is_case_team and not viewer.of_provider(provider):
        raise AccessDenied("advocacy.other-provider", provider=provider)


async def record_consent(
    uow: UnitOfWork, *, viewer: Viewer, case: CaseFacts, body: ConsentCreate, today: date
) -> AdvocacyConsent:
    """Recorded by the case's LA officer or ALNCo, or by the provider on the family's behalf
    with its evidence reference."""
    on_behalf = not viewer.covers(case.authority, case.school_ref)
    if on_behalf and not viewer.is_advocate:
        uow.deny(resource="case", resource_id=case.case_id, case_id=case.case_id)
        raise NotFound("not-found.case", case_id=case.case_id)
    _known_provider(body.provider)
    if on_behalf and not viewer.of_provider(body.provider):
        raise AccessDenied("advocacy.other-provider", provider=body.provider)
    errors: list[FieldError] = []
    if body.valid_until is not None and body.valid_until < body.valid_from:
        errors.append(FieldError("valid_until", "advocacy.until-before-from"))
    if on_behalf and not (body.evidence_ref or "").strip():
        errors.append(FieldError("evidence_ref", "advocacy.evidence-required"))
    if errors:
        raise Invalid(*errors)
    consent = AdvocacyConsent(
        consent_id=_new_id(),
        case_id=case.case_id,
        authority=case.authority,
        school_ref=case.school_ref,
        provider=body.provider,
        given_by=body.given_by,
        shares=sorted(set(body.shares)),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        evidence_ref=(body.evidence_ref or "").strip() or None,
        recorded_by=viewer.subject,
        recorded_by_role=viewer.role(),
        recorded_at=_now(),
    )
    uow.session.add(consent)
    uow.audit(
        action="create",
        resource="advocacy-consent",
        resource_id=consent.consent_id,
        case_id=case.case_id,
        purpose=f"consent to share with {body.provider} (Act s.69)",
    )
    return consent


def _sees_consent(viewer: Viewer, consent: AdvocacyConsent) -> bool:
    return viewer.covers(consent.authority, consent.school_ref) or viewer.of_provider(
        consent.provider
    )


async def withdraw_consent(
    uow: UnitOfWork, *, viewer: Viewer, consent_id: str, today: date
) -> tuple[AdvocacyConsent, list[str]]:
    """Withdrawal takes effect at once: the advocate's next read is refused, and the handoffs
    made under the consent end with it (their ids returned, for their watches)."""
    consent = await uow.session.get(AdvocacyConsent, consent_id)
    if consent is None or not _sees_consent(viewer, consent):
        uow.deny(
            resource="advocacy-consent",
            resource_id=consent_id,
            case_id=consent.case_id if consent else None,
            outcome="not-found-or-out-of-scope",
        )
        raise NotFound("advocacy.consent-not-found", consent_id=consent_id)
    if consent.withdrawn_at is not None:
        raise Conflict(
            "advocacy.consent-withdrawn-already", withdrawn_on=str(consent.withdrawn_at.date())
        )
    consent.withdrawn_at, consent.withdrawn_by = _now(), viewer.subject
    uow.session.add(consent)
    handoffs = (
        await uow.session.exec(
            select(AdvocacyHandoff).where(
                AdvocacyHandoff.consent_id == consent_id,
                col(AdvocacyHandoff.status).in_([s.value for s in OPEN]),
            )
        )
    ).all()
    for handoff in handoffs:
        handoff.status, handoff.closed_on, handoff.updated_at = HandoffStatus.CLOSED, today, _now()
        uow.session.add(handoff)
    uow.audit(
        action="command",
        resource="advocacy-consent",
        resource_id=consent_id,
        case_id=consent.case_id,
        purpose="consent withdrawn",
    )
    return consent, [h.handoff_id for h in handoffs]


# --- handoffs ---------------------------------------------------------------------------------


async def make_handoff(
    uow: UnitOfWork, *, viewer: Viewer, case: CaseFacts, body: HandoffCreate, today: date
) -> AdvocacyHandoff:
    """No consent, no handoff (docs/rules.md section 7)."""
    if not viewer.covers(case.authority, case.school_ref):
        uow.deny(resource="case", resource_id=case.case_id, case_id=case.case_id)
        raise NotFound("not-found.case", case_id=case.case_id)
    _known_provider(body.provider)
    consent = await standing_consent(
        uow.session, case_id=case.case_id, provider=body.provider, today=today
    )
    if consent is None:
        raise Conflict("advocacy.no-standing-consent", provider=body.provider)
    open_one = (
        await uow.session.exec(
            select(AdvocacyHandoff).where(
                AdvocacyHandoff.case_id == case.case_id,
                AdvocacyHandoff.provider == body.provider,
                col(AdvocacyHandoff.status).in_([s.value for s in OPEN]),
            )
        )
    ).first()
    if open_one is not None:
        raise Conflict(
            "advocacy.handoff-open",
            provider=body.provider,
            extra={"handoff_id": open_one.handoff_id},
        )
    now = _now()
    handoff = AdvocacyHandoff(
        handoff_id=_new_id(),
        case_id=case.case_id,
        authority=case.authority,
        school_ref=case.school_ref,
        provider=body.provider,
        consent_id=consent.consent_id,
        reason=body.reason,
        offered_on=today,
        accept_by=accept_by(today, case.authority),
        made_by=viewer.subject,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(handoff)
    uow.audit(
        action="create",
        resource="advocacy-handoff",
        resource_id=handoff.handoff_id,
        case_id=case.case_id,
        purpose=f"handoff to {body.provider}: {body.reason}",
    )
    return handoff


def _sees_handoff(viewer: Viewer, handoff: AdvocacyHandoff) -> bool:
    return viewer.covers(handoff.authority, handoff.school_ref) or viewer.of_provider(
        handoff.provider
    )


async def list_handoffs(uow: UnitOfWork, *, viewer: Viewer, limit: int) -> list[AdvocacyHandoff]:
    """A provider's inbox (or the handoffs of an authority's or school's cases), newest first;
    every one listed is audited."""
    seen = []
    if viewer.providers:
        seen.append(col(AdvocacyHandoff.provider).in_(sorted(viewer.providers)))
    if viewer.authorities:
        seen.append(col(AdvocacyHandoff.authority).in_(sorted(viewer.authorities)))
    if viewer.schools:
        seen.append(col(AdvocacyHandoff.school_ref).in_(sorted(viewer.schools)))
    rows = (
        await uow.session.exec(
            select(AdvocacyHandoff)
            .where(or_(*seen))
            .order_by(col(AdvocacyHandoff.created_at).desc(), col(AdvocacyHandoff.handoff_id))
            .limit(limit)
        )
    ).all()
    for handoff in rows:
        uow.audit(
            action="read",
            resource="advocacy-handoff",
            resource_id=handoff.handoff_id,
            case_id=handoff.case_id,
        )
    return list(rows)


async def consents_by_id(session: AsyncSession, ids: set[str]) -> dict[str, AdvocacyConsent]:
    if not ids:
        return {}
    rows = (
        await session.exec(select(AdvocacyConsent).where(col(AdvocacyConsent.consent_id).in_(ids)))
    ).all()
    return {c.consent_id: c for c in rows}


async def read_handoff(uow: UnitOfWork, *, viewer: Viewer, handoff_id: str) -> AdvocacyHandoff:
    handoff = await uow.session.get(AdvocacyHandoff, handoff_id)
    if handoff is None or not _sees_handoff(viewer, handoff):
        uow.deny(
            resource="advocacy-handoff",
            resource_id=handoff_id,
            case_id=handoff.case_id if handoff else None,
            outcome="not-found-or-out-of-scope",
        )
        raise NotFound("advocacy.handoff-not-found", handoff_id=handoff_id)
    return handoff


async def _provider_acts(
    uow: UnitOfWork, *, viewer: Viewer, handoff_id: str, today: date
) -> AdvocacyHandoff:
    """A handoff only its provider answers, only while it is offered."""
    handoff = await read_handoff(uow, viewer=viewer, handoff_id=handoff_id)
    if not viewer.of_provider(handoff.provider):
        uow.deny(resource="advocacy-handoff", resource_id=handoff_id, case_id=handoff.case_id)
        raise AccessDenied("advocacy.provider-only", provider=handoff.provider)
    if handoff.status != HandoffStatus.OFFERED:
        raise Conflict("advocacy.handoff-not-offered", status=handoff.status)
    return handoff


async def accept_handoff(
    uow: UnitOfWork, *, viewer: Viewer, handoff_id: str, advocate: str, today: date
) -> AdvocacyHandoff:
    handoff = await _provider_acts(uow, viewer=viewer, handoff_id=handoff_id, today=today)
    consent = await uow.session.get(AdvocacyConsent, handoff.consent_id)
    if consent is None or not consent_standing(consent, today):
        raise Conflict("advocacy.no-standing-consent", provider=handoff.provider)
    handoff.status, handoff.advocate, handoff.accepted_on = (
        HandoffStatus.ACCEPTED,
        advocate,
        today,
    )
    handoff.updated_at = _now()
    uow.session.add(handoff)
    uow.audit(
        action="command",
        resource="advocacy-handoff",
        resource_id=handoff_id,
        case_id=handoff.case_id,
        purpose="handoff accepted; advocate assigned",
    )
    uow.add_event(
        AdvocacyHandoffAccepted(
            case_id=handoff.case_id, provider=handoff.provider, accepted_on=today
        ),
        event_id=f"advocacy-{handoff_id}-accepted",
        subject=handoff.case_id,
    )
    return handoff


async def decline_handoff(
    uow: UnitOfWork, *, viewer: Viewer, handoff_id: str, reason: str, today: date
) -> AdvocacyHandoff:
    handoff = await _provider_acts(uow, viewer=viewer, handoff_id=handoff_id, today=today)
    handoff.status, handoff.declined_on, handoff.decline_reason = (
        HandoffStatus.DECLINED,
        today,
        reason,
    )
    handoff.updated_at = _now()
    uow.session.add(handoff)
    uow.audit(
        action="command",
        resource="advocacy-handoff",
        resource_id=handoff_id,
        case_id=handoff.case_id,
        purpose="handoff declined",
    )
    return handoff


# --- the advocate's access to the case (asked by the owning services) --------------------------


async def advocate_access(
    session: AsyncSession, *, case_id: str, advocate: str, provider: str, today: date
) -> AdvocateAccessPublic:
    """Whether `advocate` of `provider` may read the case now: an accepted handoff assigned to
    them, under consent that stands. An advocate who once had it and no longer does is told
    why (the owning service answers 403); one who never had it is `none` (404 there)."""
    rows = (
        await session.exec(
            select(AdvocacyHandoff)
            .where(
                AdvocacyHandoff.case_id == case_id,
                AdvocacyHandoff.provider == provider,
                AdvocacyHandoff.advocate == advocate,
            )
            .order_by(col(AdvocacyHandoff.updated_at).desc())
        )
    ).all()
    if not rows:
        return AdvocateAccessPublic(access="none")
    consents = await consents_by_id(session, {h.consent_id for h in rows})
    for handoff in rows:
        consent = consents.get(handoff.consent_id)
        if (
            handoff.status == HandoffStatus.ACCEPTED
            and consent is not None
            and consent_standing(consent, today)
        ):
            return AdvocateAccessPublic(
                access="granted",
                consent_id=consent.consent_id,
                handoff_id=handoff.handoff_id,
                shares=list(consent.shares),
            )
    latest = rows[0]
    consent = consents.get(latest.consent_id)
    if consent is not None and consent.withdrawn_at is not None:
        access = "consent-withdrawn"
    elif consent is not None and not consent_standing(consent, today):
        access = "consent-expired"
    else:
        access = "handoff-ended"
    return AdvocateAccessPublic(
        access=access,  # type: ignore[arg-type]
        consent_id=latest.consent_id,
        handoff_id=latest.handoff_id,
    )


async def _may_act_on_case(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    case_id: str,
    authority: str,
    school: str | None,
    today: date,
) -> None:
    """The case's LA officers and ALNCo, or the advocate assigned to it while consent stands."""
    if viewer.covers(authority, school):
        return
    for provider in sorted(viewer.providers):
        found = await advocate_access(
            uow.session, case_id=case_id, advocate=viewer.subject, provider=provider, today=today
        )
        if found.access == "granted":
            return
    uow.deny(resource="case", resource_id=case_id, case_id=case_id)
    raise NotFound("not-found.case", case_id=case_id)


# --- disagreements and appeals ----------------------------------------------------------------


async def raise_disagreement(
    uow: UnitOfWork, *, viewer: Viewer, case: CaseFacts, body: DisagreementCreate, today: date
) -> Disagreement:
    """The use of the authority's disagreement resolution arrangements (Act s.68); it never
    removes the right of appeal and extends the appeal window (ETW Regs reg 14), which the
    journey recomputes from `DisagreementRaised`."""
    await _may_act_on_case(
        uow,
        viewer=viewer,
        case_id=case.case_id,
        authority=case.authority,
        school=case.school_ref,
        today=today,
    )
    if errors := _not_in_future("raised_on", body.raised_on, today):
        raise Invalid(*errors)
    disagreement = Disagreement(
        disagreement_id=_new_id(),
        case_id=case.case_id,
        authority=case.authority,
        school_ref=case.school_ref,
        about=body.about,
        raised_on=body.raised_on,
        disagreement_resolution=body.disagreement_resolution,
        recorded_by=viewer.subject,
        created_at=_now(),
    )
    uow.session.add(disagreement)
    uow.audit(
        action="create",
        resource="disagreement",
        resource_id=disagreement.disagreement_id,
        case_id=case.case_id,
        purpose="disagreement resolution (Act s.68)",
    )
    uow.add_event(
        DisagreementRaised(
            case_id=case.case_id,
            raised_on=body.raised_on,
            disagreement_resolution=body.disagreement_resolution,
        ),
        event_id=f"advocacy-disagreement-{disagreement.disagreement_id}",
        subject=case.case_id,
    )
    return disagreement


async def record_disagreement_outcome(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    disagreement_id: str,
    body: DisagreementOutcomeCreate,
    today: date,
) -> Disagreement:
    found = await uow.session.get(Disagreement, disagreement_id)
    if found is None:
        raise NotFound("advocacy.disagreement-not-found", disagreement_id=disagreement_id)
    try:
        await _may_act_on_case(
            uow,
            viewer=viewer,
            case_id=found.case_id,
            authority=found.authority,
            school=found.school_ref,
            today=today,
        )
    except NotFound:
        raise NotFound("advocacy.disagreement-not-found", disagreement_id=disagreement_id) from None
    errors = _not_in_future("on", body.on, today)
    if body.on < found.raised_on:
        errors.append(
            FieldError("on", "advocacy.before-raised", {"raised_on": str(found.raised_on)})
        )
    if errors:
        raise Invalid(*errors)
    if found.outcome is not None:
        raise Conflict("advocacy.outcome-recorded", outcome=found.outcome)
    found.outcome, found.outcome_on = body.outcome, body.on
    uow.session.add(found)
    uow.audit(
        action="update",
        resource="disagreement",
        resource_id=disagreement_id,
        case_id=found.case_id,
        purpose=f"disagreement outcome: {body.outcome}",
    )
    uow.add_event(
        DisagreementConcluded(case_id=found.case_id, outcome=body.outcome, concluded_on=body.on),
        event_id=f"advocacy-disagreement-{disagreement_id}-concluded",
        subject=found.case_id,
    )
    return found


async def lodge_appeal(
    uow: UnitOfWork, *, viewer: Viewer, case: CaseFacts, body: AppealCreate, today: date
) -> Appeal:
    """An appeal to the Education Tribunal for Wales (Act s.70) against the decision whose
    `tribunal-appeal` window is open. One made late is recorded as such: the Tribunal, not
    this service, decides whether to hear it (ETW Regs)."""
    await _may_act_on_case(
        uow,
        viewer=viewer,
        case_id=case.case_id,
        authority=case.authority,
        school=case.school_ref,
        today=today,
    )
    if errors := _not_in_future("lodged_on", body.lodged_on, today):
        raise Invalid(*errors)
    window = case.clock(RuleId.TRIBUNAL_APPEAL)
    if window is None:
        raise Conflict("advocacy.no-appeal-window")
    pending = (
        await uow.session.exec(
            select(Appeal).where(Appeal.case_id == case.case_id, col(Appeal.decided_on).is_(None))
        )
    ).first()
    if pending is not None:
        raise Conflict("advocacy.appeal-pending", extra={"appeal_id": pending.appeal_id})
    appeal = Appeal(
        appeal_id=_new_id(),
        case_id=case.case_id,
        authority=case.authority,
        school_ref=case.school_ref,
        lodged_on=body.lodged_on,
        window_due=window.due,
        in_time=window.due is None or body.lodged_on <= window.due,
        recorded_by=viewer.subject,
        created_at=_now(),
    )
    uow.session.add(appeal)
    uow.audit(
        action="create",
        resource="appeal",
        resource_id=appeal.appeal_id,
        case_id=case.case_id,
        purpose="appeal lodged with the Education Tribunal for Wales (Act s.70)",
    )
    uow.add_event(
        AppealLodged(case_id=case.case_id, lodged_on=body.lodged_on),
        event_id=f"advocacy-appeal-{appeal.appeal_id}-lodged",
        subject=case.case_id,
    )
    return appeal


async def decide_appeal(
    uow: UnitOfWork, *, viewer: Viewer, appeal_id: str, body: AppealDecisionCreate, today: date
) -> Appeal:
    """The Tribunal's decision and any order binding the authority, with its deadline."""
    appeal = await uow.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("advocacy.appeal-not-found", appeal_id=appeal_id)
    try:
        await _may_act_on_case(
            uow,
            viewer=viewer,
            case_id=appeal.case_id,
            authority=appeal.authority,
            school=appeal.school_ref,
            today=today,
        )
    except NotFound:
        raise NotFound("advocacy.appeal-not-found", appeal_id=appeal_id) from None
    errors = _not_in_future("decided_on", body.decided_on, today)
    if body.decided_on < appeal.lodged_on:
        errors.append(
            FieldError("decided_on", "advocacy.before-lodged", {"lodged_on": str(appeal.lodged_on)})
        )
    if body.order is not None:
        if body.outcome not in ("allowed", "conceded"):
            errors.append(FieldError("order", "advocacy.order-needs-allowed"))
        if body.order.due < body.decided_on:
            errors.append(FieldError("order.due", "advocacy.order-due-before-decision"))
    if errors:
        raise Invalid(*errors)
    if appeal.decided_on is not None:
        raise Conflict("advocacy.appeal-decided-already", decided_on=str(appeal.decided_on))
    appeal.decided_on, appeal.outcome = body.decided_on, body.outcome
    if body.order is not None:
        appeal.order_kind, appeal.order_due = body.order.kind, body.order.due
    uow.session.add(appeal)
    uow.audit(
        action="update",
        resource="appeal",
        resource_id=appeal_id,
        case_id=appeal.case_id,
        purpose=f"appeal decided: {body.outcome}",
    )
    uow.add_event(
        AppealDecided(
            case_id=appeal.case_id, decided_on=body.decided_on, outcome=appeal_outcome_code(body)
        ),
        event_id=f"advocacy-appeal-{appeal_id}-decided",
        subject=appeal.case_id,
    )
    return appeal
