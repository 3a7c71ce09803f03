"""The transactional outbox: events are written in the same transaction as the state change,
then one relay per service publishes them in order.

Per-case ordering (a case's events reach its partition in the order they were written) rests on
three things, none of them Kafka transactions, and holds on Tansu and on a replicated cluster:
1. One relay per service at a time: each drain holds a PostgreSQL advisory lock, so of several
   replicas only one sends, reading unsent rows in `seq` order.
2. One event in flight per case: within a drain, a case's events are sent one after another,
   each only once the broker confirmed the one before (acks=all: `min.insync.replicas` copies).
   Different cases go out side by side. The producer's own retries (a leader election, a broker
   restart, NOT_ENOUGH_REPLICAS) therefore can never let a later event of the case overtake an
   earlier one, whatever the client does inside.
3. A failure stops that case's chain: the rows the broker confirmed are marked sent, the failed
   row and the case's later rows stay unsent, and the next drain starts again from the failed
   row. A record the broker wrote but whose confirmation was lost is sent again; consumers'
   inboxes drop the copy, and where the broker offers it the idempotent producer
   (`connections.producer_options`) keeps the copy out of the log in the first place.
Sent rows are kept for `outbox_retention_days`, so `llwybr replay` can send them again after a
broker loss.
"""

import asyncio
import logging
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.event_signing import EventSigner
from llwybr_common.telemetry import context_from_traceparent, current_traceparent
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import Event

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unsent", "seq", postgresql_where=text("sent_at IS NULL")),
        Index("ix_outbox_created_at", "created_at"),
    )

    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(), primary_key=True)
    )
    event_id: str = Field(unique=True, max_length=200)
    topic: str
    key: str
    event_type: str
    envelope: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    traceparent: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


def add_event(
    session: AsyncSession,
    event: Event,
    *,
    event_id: str,
    source: str,
    subject: str,
    traceparent: str | None = None,
) -> OutboxMessage:
    """Stage `event` in the caller's transaction; it leaves only if the transaction commits."""
    traceparent = traceparent or current_traceparent()
    now = datetime.now(UTC)
    envelope = wrap(
        event, event_id=event_id, source=source, subject=subject, time=now, traceparent=traceparent
    )
    row = OutboxMessage(
        event_id=event_id,
        topic=event.topic,
        key=subject,
        event_type=envelope.type,
        envelope=envelope.model_dump(mode="json"),
        traceparent=traceparent,
        created_at=now,
    )
    session.add(row)
    return row


class OutboxRelay:
    """Publishes unsent outbox rows of one schema, oldest first."""

    def __init__(
        self,
        session_factory: Any,
        broker: KafkaBroker,
        *,
        schema: str,
        poll_seconds: float = 0.2,
        retention_days: int = 14,
        batch_size: int = 500,
        signer: EventSigner | None = None,
    ) -> None:
        self._sessions = session_factory
        # Signed when sent, not when written: a replay, or a row written by another process
        # (`llwybr calendar` into the journey's outbox), leaves under the relaying service's key.
        self._signer = signer
        self._broker = broker
        self._lock_id = zlib.crc32(f"outbox:{schema}".encode())
        self._poll = poll_seconds
        self._retention = timedelta(days=retention_days)
        self._batch = batch_size
        self._wake = asyncio.Event()
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    def wake(self) -> None:
        """Call after a commit that wrote outbox rows, to publish without waiting for a poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                sent = 0
                await asyncio.sleep(1.0)
            if sent < self._batch:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def drain_once(self) -> int:
        """Publish one batch; 0 when nothing was due or another replica holds the lock."""
        async with self._sessions() as session:
            got = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:id)"), params={"id": self._lock_id}
            )
            if not got:
                return 0
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.sent_at).is_(None))
                    .order_by(col(OutboxMessage.seq))
                    .limit(self._batch)
                )
            ).all()
            chains: dict[str, list[OutboxMessage]] = {}
            for row in rows:
                chains.setdefault(row.key, []).append(row)
            results = await asyncio.gather(*(self._send_chain(c) for c in chains.values()))
            sent = [seq for confirmed, _ in results for seq in confirmed]
            failure = next((error for _, error in results if error is not None), None)
            if sent:
                now = datetime.now(UTC)
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.seq).in_(sent))
                    .values(sent_at=now)
                )  # type: ignore[call-overload]
            await self._purge(session)
        # Raised only once the confirmed rows are marked (the transaction above committed).
        if failure is not None:
            raise failure
        return len(sent)

    async def _send_chain(self, rows: list[OutboxMessage]) -> tuple[list[int], Exception | None]:
        """One case's rows, in order, each after the broker confirmed the previous one; stops
        at the first failure. Returns the confirmed rows' seq and the failure, if any."""
        confirmed: list[int] = []
        for row in rows:
            try:
                await (await self._publish(row))
            except Exception as exc:
                return confirmed, exc
            assert row.seq is not None
            confirmed.append(row.seq)
        return confirmed, None

    async def _publish(self, row: OutboxMessage) -> Any:
        token = otel_context.attach(context_from_traceparent(row.traceparent))
        try:
            envelope = self._signer.sign(row.envelope) if self._signer else row.envelope
            return await self._broker.publish(
                envelope,
                row.topic,
                key=row.key.encode(),
                headers={"ce_id": row.event_id, "ce_type": row.event_type},
                no_confirm=True,
            )
        finally:
            otel_context.detach(token)

    async def _purge(self, session: AsyncSession) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = now
        await session.execute(
            text("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < :cutoff"),
            {"cutoff": now - self._retention},
        )


async def mark_for_replay(session: AsyncSession, since: datetime) -> int:
    """Queue every retained event written since `since` to be sent again, in the original order."""
    result = await session.execute(
        text("UPDATE outbox SET sent_at = NULL WHERE created_at >= :since AND sent_at IS NOT NULL"),
        {"since": since},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
