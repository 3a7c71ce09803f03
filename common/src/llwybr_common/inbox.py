"""The idempotent inbox: a consumer records each event id in the same transaction as its
effect, so a redelivered event changes nothing. Delivery attempts are counted here too, since
Kafka keeps no delivery count."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    event_type: str
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempts"

    consumer: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    attempts: int = 0
    last_error: str = ""
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def claim(session: AsyncSession, *, consumer: str, event_id: str, event_type: str) -> bool:
    """Record the event as handled in this transaction; False if it already was."""
    stmt = (
        insert(InboxMessage)
        .values(
            consumer=consumer,
            event_id=event_id,
            event_type=event_type,
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
        .returning(InboxMessage.__table__.c.event_id)  # type: ignore[attr-defined]
    )
    return (await session.execute(stmt)).first() is not None


async def count_attempt(session: AsyncSession, *, consumer: str, event_id: str, error: str) -> int:
    """Add one failed attempt and return the total so far."""
    row = await session.execute(
        text(
            "INSERT INTO delivery_attempts (consumer, event_id, attempts, last_error, updated_at) "
            "VALUES (:c, :e, 1, :err, now()) ON CONFLICT (consumer, event_id) DO UPDATE "
            "SET attempts = delivery_attempts.attempts + 1, last_error = :err, updated_at = now() "
            "RETURNING attempts"
        ),
        {"c": consumer, "e": event_id, "err": error[:2000]},
    )
    return int(row.scalar_one())
