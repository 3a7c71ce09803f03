"""Keeping events and deriving facts: the consumer's effect and `llwybr insight rebuild`.

The event table is the only source; `insight_case_facts` and `insight_clock_facts` are recomputed from it, per
case as events arrive and for every case on a rebuild, by the same pure projection.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from insight.models import CaseFact, ClockFact, InsightEvent
from insight.projection import project
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CaseEvent, Event


async def keep(session: AsyncSession, envelope: CloudEvent, event: Event) -> None:
    """Append the event exactly as on the wire, then re-derive its case's facts."""
    await session.execute(
        insert(InsightEvent)
        .values(
            event_id=envelope.id,
            topic=event.topic,
            type=envelope.type,
            name=event.event_name(),
            subject=envelope.subject,
            time=envelope.time,
            data=envelope.data,
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    )
    if isinstance(event, CaseEvent):
        await refresh(session, event.case_id)


async def refresh(session: AsyncSession, case_id: str) -> None:
    events = (
        await session.exec(select(InsightEvent).where(col(InsightEvent.subject) == case_id))
    ).all()
    # Case events are keyed by case id; only CalendarChanged uses another subject.
    facts = project(case_id, [e for e in events if "case_id" in e.data])
    await session.execute(delete(ClockFact).where(col(ClockFact.case_id) == case_id))
    await session.execute(delete(CaseFact).where(col(CaseFact.case_id) == case_id))
    session.add(facts.case)
    session.add_all(facts.clocks)
    await session.flush()


async def rebuild(session: AsyncSession) -> tuple[int, int]:
    """Recompute every derived row from the event table; (cases, clocks) written."""
    # The consumer waits while the facts are rebuilt (reads go on, seeing the old facts), then
    # refreshes its case over the new rows: no case is derived twice at once.
    await session.execute(
        text("LOCK TABLE insight_clock_facts, insight_case_facts IN EXCLUSIVE MODE")
    )
    await session.execute(delete(ClockFact))
    await session.execute(delete(CaseFact))
    subjects = (
        await session.exec(
            select(InsightEvent.subject)
            .where(col(InsightEvent.name) != "CalendarChanged")
            .distinct()
        )
    ).all()
    cases = clocks = 0
    for case_id in subjects:
        events = (
            await session.exec(select(InsightEvent).where(col(InsightEvent.subject) == case_id))
        ).all()
        facts = project(case_id, events)
        session.add(facts.case)
        session.add_all(facts.clocks)
        cases, clocks = cases + 1, clocks + len(facts.clocks)
    await session.flush()
    return cases, clocks
