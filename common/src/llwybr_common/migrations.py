"""Alembic migrations, run at service start.

Every service keeps its revisions in `<package>/migrations/versions/` with a one-line `env.py`
that calls `run_env()`. The version table lives in the service's own schema, and a PostgreSQL
advisory lock keeps two replicas from migrating at once.
"""

import zlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel


def _config(script_location: Path, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["schema"] = schema
    return cfg


async def migrate(engine: AsyncEngine, script_location: Path, schema: str) -> None:
    """Bring `schema` to the newest revision in `script_location`."""
    lock_id = zlib.crc32(f"migrate:{schema}".encode())
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
        try:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))

            def upgrade(sync_conn: Connection) -> None:
                cfg = _config(script_location, schema)
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, "head")

            await conn.run_sync(upgrade)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
            await conn.commit()


def run_env() -> None:
    """The body of every service's `env.py` (online mode only)."""
    cfg = context.config
    connection = cfg.attributes["connection"]
    schema = cfg.attributes["schema"]
    connection.execute(text(f'SET search_path TO "{schema}"'))
    context.configure(connection=connection, version_table_schema=schema, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


def create_tables(*tables: Any) -> None:
    """Create tables in the migrating schema, from their SQLModel definitions.

    Used by initial revisions only; later revisions alter tables with explicit `op` calls.
    The audit log, when among them, gets its append-only trigger.
    """
    from alembic import op

    from llwybr_common.audit import APPEND_ONLY_SQL, AuditRecord

    SQLModel.metadata.create_all(op.get_bind(), tables=[t.__table__ for t in tables])
    if AuditRecord in tables:
        for statement in APPEND_ONLY_SQL:
            op.execute(statement)


def common_tables() -> tuple[Any, ...]:
    """The plumbing tables every service schema has: outbox, inbox, delivery attempts, audit."""
    from llwybr_common.audit import AuditRecord
    from llwybr_common.inbox import DeliveryAttempt, InboxMessage
    from llwybr_common.outbox import OutboxMessage

    return (OutboxMessage, InboxMessage, DeliveryAttempt, AuditRecord)
