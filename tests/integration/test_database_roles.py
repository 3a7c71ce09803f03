"""The schema owner migrates; the service's runtime role owns nothing and only appends to the
audit log. Real PostgreSQL, the roles `llwybr up` creates, the referral service's migrations."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import referral
from llwybr.stack import OWNER_ROLE, Endpoints, as_role, ensure_roles, runtime_role
from llwybr_common.db import make_engine
from llwybr_common.migrations import migrate

pytestmark = pytest.mark.integration

REFERRAL_MIGRATIONS = Path(referral.__file__).parent / "migrations"
INSUFFICIENT_PRIVILEGE = "42501"
AUDIT_ROW = (
    "INSERT INTO audit_log (id, at, actor, actor_roles, action, resource, resource_id, purpose, "
    "outcome) VALUES (:id, now(), 'test', 'la-officer', 'read', 'case', 'c1', 'test', 'ok')"
)


@pytest_asyncio.fixture(loop_scope="session")
async def schema(infra: Endpoints, unique: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A referral schema migrated by the owner; yields it with an engine of its runtime role."""
    name = f"roles_{unique}"
    await ensure_roles(infra.database_url.split("host=")[1], [name])
    owner = make_engine(as_role(infra.database_url, OWNER_ROLE), name)
    await migrate(owner, REFERRAL_MIGRATIONS, name, runtime_role=runtime_role(name))
    await owner.dispose()
    app = make_engine(as_role(infra.database_url, runtime_role(name)), name)
    try:
        yield name, app
    finally:
        await app.dispose()


async def refused(engine: AsyncEngine, statement: str) -> str:
    """The SQLSTATE PostgreSQL answered `statement` with ('' when it was allowed)."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    except DBAPIError as exc:
        return str(getattr(exc.orig, "sqlstate", ""))
    return ""


async def test_the_runtime_role_cannot_rewrite_the_audit_log_or_the_schema(
    schema: tuple[str, AsyncEngine],
) -> None:
    name, app = schema
    async with app.begin() as conn:
        await conn.execute(text(AUDIT_ROW), {"id": "a1"})  # appending is what it is for
        assert await conn.scalar(text("SELECT current_user")) == runtime_role(name)
        owned = "SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tableowner = current_user"
        assert await conn.scalar(text(owned), {"s": name}) == 0
    for statement in (
        "TRUNCATE audit_log",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET outcome = 'changed'",
        "SELECT * FROM audit_log",  # nothing at runtime reads it
        "DROP TABLE children CASCADE",
        "DROP TABLE audit_log",
        "ALTER TABLE cases ADD COLUMN x int",
        "CREATE TABLE sneaky (id int)",
        "DELETE FROM alembic_version",
    ):
        assert await refused(app, statement) == INSUFFICIENT_PRIVILEGE, statement


async def test_the_runtime_role_reads_and_writes_its_tables_and_later_ones(
    schema: tuple[str, AsyncEngine], infra: Endpoints
) -> None:
    name, app = schema
    async with app.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO children (id, child_ref, given_name, family_name, date_of_birth, "
                "preferred_language, match_key) VALUES ('c1', 'r1', 'A', 'B', '2017-01-02', "
                "'cy', 'k')"
            )
        )
        await conn.execute(text("UPDATE children SET preferred_language = 'en' WHERE id = 'c1'"))
        assert await conn.scalar(text("SELECT preferred_language FROM children")) == "en"
        await conn.execute(text("DELETE FROM children WHERE id = 'c1'"))
    # A table a later revision adds (created by the owner) gets the same rights by default.
    owner = make_engine(as_role(infra.database_url, OWNER_ROLE), name)
    try:
        async with owner.begin() as conn:
            await conn.execute(text("CREATE TABLE later (id serial PRIMARY KEY, v text)"))
    finally:
        await owner.dispose()
    async with app.begin() as conn:
        await conn.execute(text("INSERT INTO later (v) VALUES ('x')"))
        assert await conn.scalar(text("SELECT count(*) FROM later")) == 1


async def test_another_services_schema_is_out_of_reach(
    schema: tuple[str, AsyncEngine], infra: Endpoints, unique: str
) -> None:
    _, app = schema
    other = f"other_{unique}"
    await ensure_roles(infra.database_url.split("host=")[1], [other])
    owner = make_engine(as_role(infra.database_url, OWNER_ROLE), other)
    try:
        await migrate(owner, REFERRAL_MIGRATIONS, other, runtime_role=runtime_role(other))
    finally:
        await owner.dispose()
    assert await refused(app, f'SELECT * FROM "{other}".children') == INSUFFICIENT_PRIVILEGE
