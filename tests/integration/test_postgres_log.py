"""PostgreSQL's own log keeps no values of a refused row: its DETAIL lines (`Key (x)=(value)
already exists`, `Failing row contains (...)`) are not written in the embedded stack."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from llwybr.stack import Endpoints, Stack
from llwybr_common.db import make_engine

pytestmark = pytest.mark.integration


async def test_a_unique_violation_leaves_the_value_out_of_the_postgres_log(
    stack: Stack, infra: Endpoints, unique: str
) -> None:
    schema = f"pglog_{unique}"
    value = f"Eluned-{unique}"
    engine = make_engine(infra.database_url, schema)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await conn.execute(text("CREATE TABLE people (name text PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO people VALUES (:n)"), {"n": value})
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO people VALUES (:n)"), {"n": value})
    finally:
        await engine.dispose()
    log = stack.log_of("postgres")
    logged = ""
    for _ in range(50):  # the logging collector writes asynchronously
        logged = log.read_text(errors="replace") if log.is_file() else ""
        if f'"{schema}' in logged or "people_pkey" in logged:
            break
        await asyncio.sleep(0.1)
    assert "people_pkey" in logged, "the refusal was not logged at all"
    assert value not in logged
