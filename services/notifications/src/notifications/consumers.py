"""Kafka handlers of the notifications service: thin, they call the service."""

from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.kafka import Handler, IdempotentConsumer
from llwybr_common.runtime import Runtime
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import (
    AlnDecided,
    AppealWindowOpened,
    DeadlineEvent,
    IdpCeased,
    IdpIssued,
    JourneyStarted,
)
from notifications import alerts, notice_mail, service

GROUP = "notifications"


async def on_journey_started(
    session: AsyncSession, envelope: CloudEvent, event: JourneyStarted
) -> None:
    await service.record_in_app(
        session,
        kind="journey-started",
        case_id=event.case_id,
        recipient_role="la-officer",
        recipient_scope=f"la:{event.authority}" if event.authority else "la:unknown",
        source_event_id=envelope.id,
    )


def on_deadline(console_url: str) -> Handler:
    async def handle(session: AsyncSession, envelope: CloudEvent, event: DeadlineEvent) -> None:
        await alerts.on_deadline(session, envelope, event, console_url=console_url)

    return handle


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    deadline = on_deadline(rt.settings.console_url)
    return [
        IdempotentConsumer(
            topic=(topics.JOURNEY, topics.IDP),
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={
                JourneyStarted: on_journey_started,
                **dict.fromkeys(alerts.STAGE_OF, deadline),
                # Decision notices to families (Act s.9, s.22, s.68-70)
                **dict.fromkeys(
                    (AlnDecided, AppealWindowOpened, IdpIssued, IdpCeased),
                    notice_mail.on_notice_event,
                ),
            },
            max_attempts=rt.settings.max_delivery_attempts,
            after_commit=rt.relay.wake if hasattr(rt, "relay") else None,
        )
    ]
