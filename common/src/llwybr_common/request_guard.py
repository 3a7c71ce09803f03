"""The front gate of every service: input that no route can use is refused before it is parsed.

PostgreSQL cannot store a NUL character, and a lone surrogate cannot be encoded as UTF-8: such
strings used to travel as far as the database or the journey and come back as a plain-text 500,
sometimes after part of a command had happened. A body of any size used to be parsed in full.
Here they are answered at once, as problem+json, and nothing behind the gate sees them:

- a path with a NUL: 400 `bad-path`;
- a query parameter or JSON string with a NUL or a lone surrogate: 422 `validation`, naming
  the field;
- a body larger than the limit: 413 `body-too-large`;
- a date (a string that is exactly `YYYY-MM-DD`, in a body or a query) before 1900 or after
  2199: 422 `validation`, reason `bad-characters.date-out-of-range`. No learner, notice or
  clock lies outside those years, and a clock counted from 9999-12-31 overflows the calendar
  arithmetic.
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llwybr_common.errors import FieldError
from llwybr_common.i18n import choose_language
from llwybr_common.problems import PROBLEM_JSON, problem_body

DEFAULT_MAX_BODY_BYTES = 1_000_000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def _unusable(text: str) -> str | None:
    """Why this string cannot be stored, or None."""
    if "\x00" in text:
        return "nul"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    if _ISO_DATE.fullmatch(text) and not EARLIEST_YEAR <= int(text[:4]) <= LATEST_YEAR:
        return "date-out-of-range"
    return None


def _bad_strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(field, reason) for every unusable string in a parsed JSON document, keys included."""
    if isinstance(value, str):
        reason = _unusable(value)
        if reason:
            yield ".".join(path), reason
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _unusable(key)
            if reason:
                yield ".".join((*path, key.encode("utf-8", "replace").decode())), reason
            yield from _bad_strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, (*path, str(index)))


class RequestGuard:
    """Pure ASGI middleware (no buffering beyond the limit, nothing for requests without one)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "replace")
        if b"\x00" in raw_path or b"%00" in raw_path or _unusable(scope["path"]):
            await self._refuse(scope, send, 400, "bad-path")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        bad = [
            (name, reason)
            for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogatepass")
            for reason in [_unusable(value) or _unusable(name)]
            if reason
        ]
        if bad:
            await self._refuse(scope, send, 422, "validation", bad, where="query")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _discard(receive)
            await self._refuse(scope, send, 413, "body-too-large")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") and not declared:
            await self.app(scope, receive, send)
            return
        body, too_large = await self._read(receive)
        if too_large:
            await self._refuse(scope, send, 413, "body-too-large")
            return
        if body and _is_json(scope):
            try:
                document = json.loads(body)
            except (UnicodeDecodeError, ValueError):
                document = None  # not JSON: the route's own validation answers
            if document is not None:
                bad = list(_bad_strings(document))
                if bad:
                    await self._refuse(scope, send, 422, "validation", bad, where="body")
                    return
        await self.app(scope, replay_body(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                if message.get("more_body", False):
                    await _discard(receive)
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        bad: list[tuple[str, str]] | None = None,
        *,
        where: str = "",
    ) -> None:
        errors = [
            FieldError(f"{where}.{field}" if field else where, f"bad-characters.{reason}")
            for field, reason in bad or []
        ]
        extra: dict[str, Any] = {}
        if status == 413:
            extra["limit_bytes"] = self.max_body_bytes
        accept_language = _header_dict(scope).get("accept-language", "")
        await send_problem(
            send, status, code, accept_language, path=scope["path"], errors=errors, **extra
        )


async def send_problem(
    send: Send,
    status: int,
    code: str,
    accept_language: str,
    *,
    headers: dict[str, str] | None = None,
    path: str | None = None,
    errors: list[FieldError] | None = None,
    **extra: Any,
) -> None:
    """Answer from a middleware, before any route or exception handler runs, in the same
    shape and language as every other problem (problems.py)."""
    lang = choose_language(accept_language)
    body = problem_body(
        lang,
        status,
        code,
        errors=errors,
        instance=path.encode("utf-8", "replace").decode("utf-8") if path is not None else None,
        extra=extra,
    )
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-language", lang.content_language.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _header_dict(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _content_length(scope: Scope) -> int | None:
    value = _header_dict(scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _is_json(scope: Scope) -> bool:
    content_type = _header_dict(scope).get("content-type", "")
    return "json" in content_type.lower() or not content_type


async def read_body(receive: Receive) -> bytes:
    """The whole request body (for requests the gate already bounded in size)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _discard(receive: Receive) -> None:
    """Read the rest of a refused body without keeping it: a client still sending when the
    answer comes would see its connection reset instead of the 413."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install_request_guard(app: Any, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """The gate in front of every route, and the idempotency keys behind it."""
    from llwybr_common.idempotency import IdempotencyKeys

    # The last added runs first: the gate bounds the body before a key's request is read.
    app.add_middleware(IdempotencyKeys)
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
