"""Kafka handlers of the idp service: thin, they call the service.

From referral: `CaseOpened` and `CaseRouted` (who decides, for which authority or school).
From the journey: `ReferredToLa`, `AlnDecided` (a draft needs it), the `idp-review` clock's
`ClockStarted`/`ClockChanged` (its due date) and `DeadlineAtRisk` (the list of reviews due).
From health-liaison: `HealthInputReceived` (a service identified is written into the plan).
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from idp import service
from llwybr_common.kafka import IdempotentConsumer
from llwybr_common.runtime import Runtime
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import (
    AlnDecided,
    CaseOpened,
    CaseRouted,
    CaseRoutedV2,
    ClockChanged,
    ClockStarted,
    DeadlineAtRisk,
    HealthInputReceived,
    ReferredToLa,
)
from llwybr_contracts.vocabulary import RuleId

GROUP = "idp"


async def on_case_opened(session: AsyncSession, envelope: CloudEvent, event: CaseOpened) -> None:
    await service.note_case(
        session,
        case_id=event.case_id,
        child_ref=event.child_ref,
        authority=event.authority,
        deciding_body=event.deciding_body.value if event.deciding_body else None,
        deciding_authority=event.deciding_authority,
        school_ref=event.school_ref,
    )


async def on_case_routed(session: AsyncSession, envelope: CloudEvent, event: CaseRouted) -> None:
    await service.note_case(
        session,
        case_id=event.case_id,
        deciding_body=event.deciding_body.value,
        deciding_authority=event.deciding_authority,
        school_ref=event.school_ref,
        institution=event.institution if isinstance(event, CaseRoutedV2) else None,
    )


async def on_referred_to_la(
    session: AsyncSession, envelope: CloudEvent, event: ReferredToLa
) -> None:
    # Act s.12(2)-(3), s.13: the authority decides the referred case from now on.
    await service.note_case(
        session,
        case_id=event.case_id,
        deciding_body="local-authority",
        deciding_authority=event.authority,
    )


async def on_aln_decided(session: AsyncSession, envelope: CloudEvent, event: AlnDecided) -> None:
    await service.note_aln_decided(
        session,
        case_id=event.case_id,
        has_aln=event.has_aln,
        deciding_body=event.deciding_body.value,
        decided_on=event.decided_on,
    )


async def on_clock(
    session: AsyncSession, envelope: CloudEvent, event: ClockStarted | ClockChanged
) -> None:
    if event.rule != RuleId.IDP_REVIEW:
        return
    await service.note_review_clock(session, case_id=event.case_id, due=event.due)


async def on_at_risk(session: AsyncSession, envelope: CloudEvent, event: DeadlineAtRisk) -> None:
    if event.rule != RuleId.IDP_REVIEW:
        return
    await service.note_review_at_risk(session, case_id=event.case_id)


async def on_health_input_received(
    session: AsyncSession, envelope: CloudEvent, event: HealthInputReceived
) -> None:
    if event.outcome != "service-identified":
        return
    await service.note_health_answer(
        session,
        case_id=event.case_id,
        request_id=event.request_id,
        welsh_delivery=event.welsh_delivery,
        answered_on=event.answered_on,
    )


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    return [
        IdempotentConsumer(
            # One group over the three topics: one consumer, no rebalancing between siblings.
            topic=(topics.REFERRAL, topics.JOURNEY, topics.HEALTH),
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={
                CaseOpened: on_case_opened,
                CaseRouted: on_case_routed,
                ReferredToLa: on_referred_to_la,
                AlnDecided: on_aln_decided,
                ClockStarted: on_clock,
                ClockChanged: on_clock,
                DeadlineAtRisk: on_at_risk,
                HealthInputReceived: on_health_input_received,
            },
            max_attempts=rt.settings.max_delivery_attempts,
        )
    ]
