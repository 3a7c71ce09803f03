"""`Idempotency-Key` on every POST: a client that retries after a lost answer gets the first
answer again, not a second case, a second s.20 request or a 409.

The first request with a key claims it (a row inserted before the route runs, so a concurrent
twin waits for it instead of running too); the answer is stored with it and replayed, marked
`Idempotent-Replayed: true`, to any later request with the same key, caller, method, path and
body. The same key with a different body is refused (422 `idempotency-key-reused`). A 5xx
answer is not kept: the request did not happen, so a retry may run it. Keys are per caller
(the token's subject, verified) and kept for 24 hours.

A process killed after its route committed but before the answer was stored leaves a row with
no answer: once it is ABANDONED_AFTER old, the next request with the key runs the route again.
(Holding a lock per request instead would hold a pooled connection per request, and a full pool
then deadlocks requests waiting for their route's connection: seen under load.) Routes make
that safe with `stable_id`: what the first attempt created has the id the retry would create,
so the retry finds it and answers as the first attempt would have.
"""

import asyncio
import hashlib
import json
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, LargeBinary, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llwybr_common.availability import CODE, RETRY_AFTER_SECONDS, database_unreachable
from llwybr_common.request_guard import read_body, replay_body, send_problem

HEADER = "idempotency-key"
KEEP_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(seconds=15)  # longer than a twin waits, so a live first one answers
WAIT_FOR_TWIN = 10.0  # seconds a twin request waits for the first one's answer
_KEPT_HEADERS = {b"content-type", b"location", b"retry-after"}
_NAMESPACE = uuid.UUID("5f0c6a52-8a5e-4c5b-9a43-6c1d1e3b9b2f")  # Llwybr's, for uuid5 ids
_running: ContextVar[tuple[str, str] | None] = ContextVar("idempotency_key", default=None)


def stable_id(purpose: str) -> str:
    """An id for what this request creates (`purpose` names it: "case", "health-request").

    With an Idempotency-Key it is the same on every attempt of the key by its caller, so a
    retry after a crash finds its own first attempt; without one it is random.
    """
    running = _running.get()
    if running is None:
        return str(uuid.uuid4())
    caller, key = running
    return str(uuid.uuid5(_NAMESPACE, f"{purpose}\n{caller}\n{key}"))


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    caller: str = Field(primary_key=True, description="the token's subject")
    key: str = Field(primary_key=True)
    request_hash: str = Field(description="sha256 of method, path and body")
    status: int | None = Field(default=None, description="None while the first request runs")
    headers: str = Field(default="[]", description="JSON list of kept response headers")
    body: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class IdempotencyKeys:
    """Pure ASGI middleware; it needs `app.state.runtime` (engine and settings)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        key_bytes = headers.get(HEADER.encode())
        if scope["type"] != "http" or scope["method"] != "POST" or key_bytes is None:
            await self.app(scope, receive, send)
            return
        lang = headers.get(b"accept-language", b"").decode("latin-1")
        key = key_bytes.decode("latin-1").strip()
        if not 0 < len(key) <= 255 or not key.isprintable():
            await send_problem(send, 400, "idempotency-key-invalid", lang)
            return
        caller = _caller(scope, headers)
        if (
            caller is None
        ):  # no valid token, or no runtime: the route answers as it always does: the route answers 401 as it always does
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        engine = scope["app"].state.runtime.engine
        try:
            claimed, stored = await _claim(engine, caller, key, digest)
        except Exception as exc:
            if not database_unreachable(exc):
                raise
            # The same answer a route gives with PostgreSQL down (availability.py), not a 500.
            retry = {"retry-after": str(RETRY_AFTER_SECONDS)}
            await send_problem(send, 503, CODE, lang, headers=retry)
            return
        if not claimed:
            if stored is None:
                await send_problem(
                    send, 409, "idempotency-key-in-flight", lang, headers={"retry-after": "1"}
                )
            elif stored.request_hash != digest:
                await send_problem(send, 422, "idempotency-key-reused", lang)
            else:
                await _replay(send, stored)
            return

        status: int = 500
        kept: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept.extend((k, v) for k, v in message.get("headers", []) if k in _KEPT_HEADERS)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        token = _running.set((caller, key))
        try:
            await self.app(scope, replay_body(body, receive), capture)
        finally:
            _running.reset(token)
            await _settle(engine, caller, key, status, kept, b"".join(chunks))


def _caller(scope: Scope, headers: dict[bytes, bytes]) -> str | None:
    from llwybr_common.auth import verify

    if getattr(scope["app"].state, "runtime", None) is None:
        return None
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return verify(token.strip(), scope["app"].state.runtime.settings).subject
    except Exception:
        return None


async def _claim(
    engine: AsyncEngine, caller: str, key: str, digest: str
) -> tuple[bool, IdempotencyRecord | None]:
    """(True, None) when this request runs; (False, the stored answer or None if in flight)."""
    now = datetime.now(UTC)
    deadline = asyncio.get_running_loop().time() + WAIT_FOR_TWIN
    while True:
        async with engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM idempotency_keys WHERE created_at < :old"),
                {"old": now - KEEP_FOR},
            )
            inserted = await conn.execute(
                text(
                    "INSERT INTO idempotency_keys "
                    "(caller, key, request_hash, status, headers, body, created_at) "
                    "VALUES (:caller, :key, :hash, NULL, '[]', '', :now) "
                    "ON CONFLICT (caller, key) DO UPDATE SET request_hash = :hash, created_at = :now "
                    "WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < :stale "
                    "RETURNING caller"
                ),
                {
                    "caller": caller,
                    "key": key,
                    "hash": digest,
                    "now": now,
                    "stale": now - ABANDONED_AFTER,
                },
            )
            if inserted.first() is not None:
                return True, None
            row = (
                await conn.execute(
                    text(
                        "SELECT request_hash, status, headers, body FROM idempotency_keys "
                        "WHERE caller = :caller AND key = :key"
                    ),
                    {"caller": caller, "key": key},
                )
            ).first()
        if row is None:
            continue  # settled as a 5xx and released between the two statements: claim again
        record = IdempotencyRecord(
            caller=caller,
            key=key,
            request_hash=row.request_hash,
            status=row.status,
            headers=row.headers,
            body=bytes(row.body),
            created_at=now,
        )
        if record.status is not None or record.request_hash != digest:
            return False, record
        if asyncio.get_running_loop().time() > deadline:
            return False, None
        await asyncio.sleep(0.1)  # the twin is running: wait for its answer


async def _settle(
    engine: AsyncEngine,
    caller: str,
    key: str,
    status: int,
    kept: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    async with engine.begin() as conn:
        if status >= 500:
            await conn.execute(
                text("DELETE FROM idempotency_keys WHERE caller = :caller AND key = :key"),
                {"caller": caller, "key": key},
            )
            return
        await conn.execute(
            text(
                "UPDATE idempotency_keys SET status = :status, headers = :headers, body = :body "
                "WHERE caller = :caller AND key = :key"
            ),
            {
                "status": status,
                "headers": json.dumps([[k.decode(), v.decode("latin-1")] for k, v in kept]),
                "body": body,
                "caller": caller,
                "key": key,
            },
        )


async def _replay(send: Send, stored: IdempotencyRecord) -> None:
    headers = [(k.encode(), v.encode("latin-1")) for k, v in json.loads(stored.headers)]
    headers += [
        (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
