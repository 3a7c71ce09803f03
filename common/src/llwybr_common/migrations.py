"""Alembic migrations, run at service start.

Every service keeps its revisions in `<package>/migrations/versions/` with a one-line `env.py`
that calls `run_env()`. The version table lives in the service's own schema, and a PostgreSQL
advisory lock keeps two replicas from migrating at once.

Migrations run as the schema's owner; the service then connects as its runtime role, which
owns nothing. `migrate` grants that role what a service needs and no more: its tables' rows,
the audit log to append to (no UPDATE, DELETE or TRUNCATE, not even SELECT: nothing at runtime
reads it), no DDL. Default privileges give tables of later revisions the same grants.
"""

import re
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


_ROLE = re.compile(r"[a-z_][a-z0-9_]*")
ROW_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_TABLES = ("audit_log",)
OWNER_ONLY_TABLES = ("alembic_version",)


async def migrate(
    engine: AsyncEngine, script_location: Path, schema: str, *, runtime_role: str | None = None
) -> None:
    """Bring `schema` to the newest revision in `script_location`, connected as its owner;
    then, when the service runs as another role, grant `runtime_role` its rights."""
    for name in (schema, runtime_role or schema):
        if not _ROLE.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain lower-case schema or role name")
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
            if runtime_role is not None:
                for statement in grants(schema, runtime_role):
                    await conn.execute(text(statement))
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
            await conn.commit()


def grants(schema: str, role: str) -> list[str]:
    """What the runtime role `role` may do in `schema` (idempotent; run after every migration)."""
    s, r = f'"{schema}"', f'"{role}"'
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT {ROW_RIGHTS} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {ROW_RIGHTS} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {r}",
    ]
    for table in (*APPEND_ONLY_TABLES, *OWNER_ONLY_TABLES):
        statements.append(_if_table(schema, table, f"REVOKE ALL ON {s}.{table} FROM {r}"))
    for table in APPEND_ONLY_TABLES:
        statements.append(_if_table(schema, table, f"GRANT INSERT ON {s}.{table} TO {r}"))
    return statements


def _if_table(schema: str, table: str, statement: str) -> str:
    # Schemas without an audit log (a test's bare schema) exist too.
    return (
        f"DO $$ BEGIN IF to_regclass('\"{schema}\".{table}') IS NOT NULL THEN "
        f"EXECUTE '{statement}'; END IF; END $$"
    )


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
