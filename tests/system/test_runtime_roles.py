"""Every service of the running stack connects as its own role, which cannot empty the audit log."""

import contextlib

import asyncpg
import httpx
import pytest

from llwybr.components import BY_NAME
from llwybr.stack import Stack
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system

WITH_DATA = [name for name, c in BY_NAME.items() if c.schema is not None]


@pytest.mark.parametrize("name", WITH_DATA)
async def test_a_service_connects_as_a_role_that_cannot_empty_its_audit_log(
    running: Stack, name: str
) -> None:
    url = running.component_env(name)["LLWYBR_DATABASE_URL"]
    schema = BY_NAME[name].schema
    conn = await asyncpg.connect(dsn=url.replace("+asyncpg", "", 1))
    try:
        empty = conn.transaction()
        await empty.start()
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f'TRUNCATE "{schema}".audit_log')
        finally:
            await empty.rollback()  # were it allowed, the session's audit rows stay
        role = await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()
    # The running service holds its connections as that role, not as the superuser. A service
    # that has not yet needed its database (nothing consumed yet) may hold none: wait for it.
    socket_dir = running.endpoints.database_url.split("host=")[1]  # type: ignore[union-attr]

    async def users() -> set[str]:
        if name in running.ports:  # its readiness check opens a pooled connection
            async with httpx.AsyncClient() as client:
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(f"{running.url_of(name)}/readyz", timeout=10)
        admin = await asyncpg.connect(user="postgres", database="llwybr", host=socket_dir)
        try:
            rows = await admin.fetch(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'llwybr'"
            )
        finally:
            await admin.close()
        return {u["usename"] for u in rows}

    assert role != "postgres"
    assert role in await eventually(users, lambda names: role in names, within=30)
