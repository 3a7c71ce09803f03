"""Kafka handlers of the referral service: the case list's projection of journey events, the
boards' s.20 answers from the health topic, and calendar changes (intake's cached calendars)."""

from llwybr_common.kafka import IdempotentConsumer
from llwybr_common.runtime import Runtime
from llwybr_contracts import topics
from llwybr_contracts.events import (
    AlnDecided,
    AppealWindowOpened,
    CalendarChanged,
    CaseClosed,
    ClockChanged,
    ClockMet,
    ClockStarted,
    DeadlineAtRisk,
    DeadlineBreached,
    DeadlineDue,
    DeadlineEscalated,
    HealthInputReceived,
    HealthInputRequested,
    HealthInputWithdrawn,
    ReferredToLa,
    StateChanged,
)
from referral import calendars, projection

GROUP = "referral-case-projection"
HEALTH_GROUP = "referral-health-answers"
PROJECTED = (
    StateChanged,
    ClockStarted,
    ClockChanged,
    ClockMet,
    AlnDecided,
    ReferredToLa,
    HealthInputRequested,
    HealthInputWithdrawn,
    AppealWindowOpened,
    CaseClosed,
    DeadlineAtRisk,
    DeadlineDue,
    DeadlineBreached,
    DeadlineEscalated,
)


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    return [
        IdempotentConsumer(
            topic=topics.JOURNEY,
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={
                **dict.fromkeys(PROJECTED, projection.apply),
                # term dates changed: intake asks the worker again (referral.calendars)
                CalendarChanged: calendars.calendar_changed,
            },
            max_attempts=rt.settings.max_delivery_attempts,
        ),
        # the board's s.20 answers (Act s.21), for the LA's case view
        IdempotentConsumer(
            topic=topics.HEALTH,
            group_id=HEALTH_GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={HealthInputReceived: projection.apply},
            max_attempts=rt.settings.max_delivery_attempts,
        ),
    ]
