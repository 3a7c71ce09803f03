"""What each reader sees of advocacy records."""

from datetime import date

from advocacy.models import (
    AdvocacyConsent,
    AdvocacyHandoff,
    Appeal,
    AppealPublic,
    Bilingual,
    ClockPublic,
    ConsentPublic,
    Disagreement,
    DisagreementPublic,
    HandoffPublic,
    HandoffStatus,
)
from advocacy.providers import find_provider
from advocacy.referral_client import CaseFacts, Clock
from advocacy.service import consent_standing
from llwybr_clock.clock import Status
from llwybr_contracts.vocabulary import RuleId

# A met clock has nothing left to count down.
CLOSED_CLOCKS = frozenset({Status.MET.value})


def clock_public(clock: Clock, today: date) -> ClockPublic:
    days_left = None if clock.due is None else (clock.due - today).days
    return ClockPublic(rule=clock.rule, due=clock.due, status=clock.status, days_left=days_left)


def handoff_public(
    handoff: AdvocacyHandoff,
    consent: AdvocacyConsent | None,
    case: CaseFacts | None,
    today: date,
) -> HandoffPublic:
    """The case's open clocks go with the handoff only while consent stands (what the family
    agreed to share: the case's decisions and clocks)."""
    standing = consent is not None and consent_standing(consent, today)
    provider = find_provider(handoff.provider)
    clocks = window = None
    if standing and case is not None:
        open_clocks = [c for c in case.clocks if c.status not in CLOSED_CLOCKS]
        clocks = [clock_public(c, today) for c in open_clocks]
        appeal = next((c for c in open_clocks if c.rule == RuleId.TRIBUNAL_APPEAL), None)
        window = clock_public(appeal, today) if appeal else None
    return HandoffPublic(
        handoff_id=handoff.handoff_id,
        case_id=handoff.case_id,
        provider=handoff.provider,
        provider_name=Bilingual(
            cy=provider.name_cy if provider else handoff.provider,
            en=provider.name_en if provider else handoff.provider,
        ),
        reason=handoff.reason,
        status=HandoffStatus(handoff.status),
        consent_standing=standing,
        offered_on=handoff.offered_on,
        accept_by=handoff.accept_by,
        late=handoff.status == HandoffStatus.OFFERED and today > handoff.accept_by,
        advocate=handoff.advocate,
        accepted_on=handoff.accepted_on,
        declined_on=handoff.declined_on,
        decline_reason=handoff.decline_reason,
        clocks=clocks,
        appeal_window=window,
    )


def consent_public(consent: AdvocacyConsent, today: date) -> ConsentPublic:
    return ConsentPublic(
        consent_id=consent.consent_id,
        case_id=consent.case_id,
        provider=consent.provider,
        given_by=consent.given_by,
        shares=list(consent.shares),
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        evidence_ref=consent.evidence_ref,
        standing=consent_standing(consent, today),
        withdrawn_at=consent.withdrawn_at,
    )


def disagreement_public(d: Disagreement) -> DisagreementPublic:
    return DisagreementPublic(
        disagreement_id=d.disagreement_id,
        case_id=d.case_id,
        about=d.about,
        raised_on=d.raised_on,
        disagreement_resolution=d.disagreement_resolution,
        outcome=d.outcome,
        outcome_on=d.outcome_on,
    )


def appeal_public(a: Appeal) -> AppealPublic:
    return AppealPublic(
        appeal_id=a.appeal_id,
        case_id=a.case_id,
        lodged_on=a.lodged_on,
        window_due=a.window_due,
        in_time=a.in_time,
        decided_on=a.decided_on,
        outcome=a.outcome,
        order_kind=a.order_kind,
        order_due=a.order_due,
    )
