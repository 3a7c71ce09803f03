"""No value of a refused statement in the error it raises (its text and every chained cause,
which is what a log, a span or a dead letter prints) nor in PostgreSQL's own log (whose DETAIL
lines would say `Key (x)=(value) already exists`). Real PostgreSQL, the session's."""

import asyncio
import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

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


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name text PRIMARY KEY", "Eluned-{u}"),  # unique violation: DETAIL Key (name)=(...)
        ("born date", "Eluned-{u}"),  # asyncpg: invalid input for query argument $1: '...'
        ("n int", 2**40 + 7),  # asyncpg: value out of int32 range, quoting the number
    ],
)
async def test_a_refused_statement_raises_an_error_whose_whole_text_has_no_value(
    infra: Endpoints, unique: str, column: str, value: object
) -> None:
    value = value.format(u=unique) if isinstance(value, str) else value
    schema = f"errtext_{unique}_{column.split()[1]}"
    engine = make_engine(infra.database_url, schema)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await conn.execute(text(f"CREATE TABLE t ({column})"))
            if "PRIMARY" in column:
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
        with pytest.raises(DBAPIError) as refused:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    finally:
        await engine.dispose()
    # Everything that prints an exception prints this: the message and every chained cause.
    printed = "".join(traceback.format_exception(refused.value))
    assert "values hidden" in printed
    assert str(value) not in printed
