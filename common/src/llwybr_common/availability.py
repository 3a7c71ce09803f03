"""When PostgreSQL cannot be reached, a service answers like any other refusal: problem+json,
503, `Retry-After`, and the stable code `dependency-unavailable`, in Welsh or English.

Nothing has to restart afterwards: the engine pings each pooled connection before use
(`pool_pre_ping`) and drops invalidated ones, so the first request after PostgreSQL is back
gets a fresh connection. Errors that are not about reaching the database are left alone.
"""

import logging
import os
import traceback

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa

from llwybr_common.problems import PROBLEM_JSON, problem_body, request_language

log = logging.getLogger(__name__)

CODE = "dependency-unavailable"
RETRY_AFTER_SECONDS = 5
# SQLSTATEs of a server that is gone, going or not yet there: connection exceptions (class 08),
# shutdown or start-up (57P01-57P03) and a full server (53300).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# Where an OSError means "could not connect" rather than a fault of the service's own code.
_CONNECTING = (f"{os.sep}asyncpg{os.sep}", f"{os.sep}sqlalchemy{os.sep}pool{os.sep}")
HANDLED: tuple[type[Exception], ...] = (
    sa.DBAPIError,
    sa.TimeoutError,  # no pooled connection came free in time
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.PostgresError,
    OSError,  # ConnectionRefusedError (TCP), FileNotFoundError (Unix socket), TimeoutError
)


def database_unreachable(exc: BaseException) -> bool:
    """True when `exc` says PostgreSQL could not be reached, not that a statement was wrong."""
    if isinstance(exc, sa.TimeoutError):
        return True
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.OperationalError | sa.InterfaceError):
        return True
    for cause in _chain(exc):
        state = str(getattr(cause, "sqlstate", "") or "")
        if state.startswith(_UNREACHABLE_STATES):
            return True
        if isinstance(cause, asyncpg.exceptions.ConnectionDoesNotExistError):
            return True
        if isinstance(cause, OSError) and _raised_while_connecting(cause):
            return True
    return False


def install_availability_handlers(app: FastAPI) -> None:
    for kind in HANDLED:
        app.add_exception_handler(kind, _unavailable)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    if not database_unreachable(exc):
        raise exc  # a fault of its own: the server error it always was
    log.warning(
        "postgres unreachable", extra={"dependency": "postgres", "error": type(exc).__name__}
    )
    lang = request_language(request)
    body = problem_body(
        lang, 503, CODE, instance=request.url.path, extra={"dependency": "postgres"}
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Content-Language": lang.content_language}
    return JSONResponse(body, 503, headers, media_type=PROBLEM_JSON)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _raised_while_connecting(exc: BaseException) -> bool:
    return any(
        marker in frame.f_code.co_filename
        for frame, _ in traceback.walk_tb(exc.__traceback__)
        for marker in _CONNECTING
    )
