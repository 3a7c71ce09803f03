"""Database errors that carry no values.

PostgreSQL and asyncpg put the offending values into their error texts: `DETAIL: Key
(nhs_number)=(9434765919) already exists`, `invalid input syntax for type date: "..."`,
`invalid input for query argument $3: 'Cai' (...)`. Whatever prints an exception (a traceback
in a log, a span's exception event, a dead letter's header, a problem body) would copy a name,
a date of birth or free text out of the database. So every engine rewrites each error, and
every exception chained under it, in place as it is raised: what is kept is the kind of error,
its SQLSTATE and the names of the schema objects involved, never a value.
"""

import re
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

# Names of schema objects, which asyncpg's server errors carry as attributes.
_OBJECT_FIELDS = ("schema_name", "table_name", "column_name", "constraint_name", "data_type_name")
# Texts asyncpg's server errors carry besides the message; each may quote a value.
_VALUE_FIELDS = ("detail", "hint", "context", "internal_query", "where")
# asyncpg's own encoding error names the argument and then quotes its value.
_ARGUMENT = re.compile(r"invalid input for query argument \$\d+")


def install_redaction(engine: AsyncEngine) -> None:
    """Rewrite every error `engine` raises so that no bound or stored value shows in its text."""
    event.listen(engine.sync_engine, "handle_error", _redact)


def _redact(ctx: ExceptionContext) -> None:
    if not isinstance(ctx.original_exception, Exception):
        return  # cancellation and interrupts carry no data; leave them exactly as raised
    safe = describe(ctx.original_exception)
    for exc in _chain(ctx.original_exception):
        _rewrite(exc, safe)
    wrapper = ctx.sqlalchemy_exception
    if isinstance(wrapper, StatementError):
        orig = type(ctx.original_exception)
        wrapper.args = (f"({orig.__module__}.{orig.__qualname__}) {safe}",)


def describe(exc: BaseException) -> str:
    """What went wrong, without a value: the error class, SQLSTATE and object names."""
    chain = list(_chain(exc))
    argument = _ARGUMENT.search(" ".join(str(e.args[0]) for e in chain if e.args))
    said = f"{argument.group(0)}: " if argument else ""
    # The driver's own error names the precise kind (UniqueViolationError, not Error).
    coded = [e for e in chain if getattr(e, "sqlstate", None)]
    driver = next((e for e in coded if type(e).__module__.startswith("asyncpg")), None)
    driver = driver or (coded[0] if coded else None)
    if driver is None:
        return f"{said}{' <- '.join(type(e).__name__ for e in chain)} (values hidden)"
    parts = [f"{said}{type(driver).__name__} (SQLSTATE {getattr(driver, 'sqlstate', '')})"]
    for name in _OBJECT_FIELDS:
        value = getattr(driver, name, None)
        if value:
            parts.append(f"{name.removesuffix('_name')} {value}")
    return ", ".join(parts) + " (values hidden)"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _rewrite(exc: BaseException, safe: str) -> None:
    try:
        exc.args = (safe,)
        for name in _VALUE_FIELDS:
            if getattr(exc, name, None) is not None:
                setattr(exc, name, None)
    except (AttributeError, TypeError):
        pass  # an immutable exception: it is not one of the drivers' errors that quote values
