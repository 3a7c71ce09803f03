"""The async SQLModel engine and session of one service.

Each service owns one PostgreSQL schema (its folder name, `-` as `_`); every connection's
`search_path` is that schema, so a service cannot reach another's tables by accident and the
common tables (outbox, inbox) exist once per service.

No engine ever shows a value: `hide_parameters` keeps bound parameters out of error texts and
SQL logging, and `db_errors` rewrites the texts PostgreSQL and asyncpg quote values in.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.db_errors import install_redaction


def schema_name(service: str) -> str:
    return service.replace("-", "_")


def make_engine(
    database_url: str, schema: str, *, ssl: object = None, **kwargs: object
) -> AsyncEngine:
    """`ssl`: asyncpg's argument (an SSLContext, or False), from `connections.database_ssl`;
    `kwargs` go to SQLAlchemy (pool_size, max_overflow per service)."""
    if not database_url.startswith("postgresql+asyncpg://"):
        raise ValueError("LLWYBR_DATABASE_URL must be a postgresql+asyncpg:// URL")
    connect_args: dict[str, object] = {"server_settings": {"search_path": schema}}
    if ssl is not None:
        connect_args["ssl"] = ssl
    engine = create_async_engine(
        database_url,
        connect_args=connect_args,
        pool_pre_ping=True,
        hide_parameters=True,
        **kwargs,  # type: ignore[arg-type]
    )
    install_redaction(engine)
    return engine


@asynccontextmanager
async def session_scope(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        async with session.begin():
            yield session
