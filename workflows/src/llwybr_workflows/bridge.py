"""The journey bridge: turns facts published on Kafka into Temporal starts and signals.

`CaseOpened` starts the case's journey (the reliable path beside the referral service's fast
path; a no-op when it already runs). Facts from idp, health-liaison and advocacy become
signals in the journey's own issue.
"""

from pathlib import Path

from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.journey import start_journey
from llwybr_common.kafka import IdempotentConsumer
from llwybr_common.runtime import Runtime, build_app, serve
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.journey import JourneyInput

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP = "journey-bridge"


def consumers(rt: Runtime) -> list[IdempotentConsumer]:
    async def on_case_opened(
        session: AsyncSession, envelope: CloudEvent, event: CaseOpened
    ) -> None:
        assert rt.temporal is not None
        await start_journey(
            rt.temporal,
            JourneyInput(
                case_id=event.case_id,
                child_ref=event.child_ref,
                authority=event.authority,
                received_on=event.received_on,
                state=event.state,
                deciding_body=event.deciding_body,
                deciding_authority=event.deciding_authority,
                school_ref=event.school_ref,
            ),
        )

    return [
        IdempotentConsumer(
            topic=topics.REFERRAL,
            group_id=GROUP,
            engine=rt.engine,
            broker=rt.broker,
            handlers={CaseOpened: on_case_opened},
            max_attempts=rt.settings.max_delivery_attempts,
        )
    ]


def create_app() -> FastAPI:
    return build_app(
        "bridge",
        schema="journey",
        migrations=MIGRATIONS,
        needs_temporal=True,
        consumers=consumers,
        title="Llwybr journey bridge",
    )


if __name__ == "__main__":
    serve(create_app())
