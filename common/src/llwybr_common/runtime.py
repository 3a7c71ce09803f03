"""A service process, composed once: settings, telemetry, database (migrated at start), Kafka
broker with its idempotent consumers, the outbox relay and, when needed, a Temporal client.

`build_app` gives every service the same lifecycle and the same `/healthz` and `/readyz`.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from llwybr_common.api_docs import install_api_docs
from llwybr_common.availability import install_availability_handlers
from llwybr_common.broker_epoch import watch_broker_epoch
from llwybr_common.connections import TANSU, consumer_options, database_options, kafka_connection
from llwybr_common.db import make_engine, schema_name, session_scope
from llwybr_common.event_signing import signer_from_settings, verifier_from_settings
from llwybr_common.kafka import IdempotentConsumer, connect_broker
from llwybr_common.logs import setup_logging
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxMessage, OutboxRelay
from llwybr_common.problems import install_problem_handlers, problem_response
from llwybr_common.request_guard import install_request_guard
from llwybr_common.settings import Settings, get_settings
from llwybr_common.telemetry import current_trace_id, setup_tracing
from llwybr_common.temporal_client import connect_temporal

log = logging.getLogger(__name__)
READY_TIMEOUT = 2.0  # seconds each /readyz check may take


@dataclass
class Runtime:
    """What a running service holds; routes reach it as `request.app.state.runtime`."""

    service: str
    settings: Settings
    engine: AsyncEngine
    broker: KafkaBroker
    relay: OutboxRelay
    tracer_provider: TracerProvider
    temporal: Client | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    consumers: list[IdempotentConsumer] = field(default_factory=list)

    @property
    def source(self) -> str:
        """CloudEvents `source` of this service's events."""
        return f"/llwybr/{self.service}"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction; when it wrote outbox rows, the relay is woken once it commits, so
        events leave at once rather than at the next poll (and never before the commit)."""
        async with session_scope(self.engine) as session:
            yield session
            wrote_events = any(
                isinstance(row, OutboxMessage)
                for row in (*session.new, *session.identity_map.values())
            )
        if wrote_events:
            self.relay.wake()


ConsumerFactory = Callable[[Runtime], Sequence[IdempotentConsumer]]
StartHook = Callable[[Runtime], Awaitable[None]]


def build_app(
    service: str,
    *,
    migrations: Path,
    routers: Sequence[APIRouter] = (),
    consumers: ConsumerFactory | None = None,
    needs_temporal: bool = False,
    settings: Settings | None = None,
    title: str | None = None,
    schema: str | None = None,
    on_start: StartHook | None = None,
    publishes: bool = True,
) -> FastAPI:
    """`publishes=False` for a process that shares another's schema and never writes its
    outbox (the journey bridge beside the worker): its events must leave through the one
    process whose key may sign them, so it runs no relay of its own."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await start_runtime(
            service,
            settings,
            migrations=migrations,
            consumers=consumers,
            needs_temporal=needs_temporal,
            schema=schema,
            publishes=publishes,
        )
        app.state.runtime = rt
        if on_start is not None:
            await on_start(rt)
        try:
            yield
        finally:
            await stop_runtime(rt)

    title = title or f"Llwybr {service}"
    app = FastAPI(title=title, version="1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    install_api_docs(app, title=title)
    install_problem_handlers(app)
    install_request_guard(app, max_body_bytes=settings.max_body_bytes)
    install_availability_handlers(app)
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        checks = await readiness(request.app.state.runtime)
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ok", "checks": checks})
        down = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        return problem_response(
            request, 503, "not-ready", params={"down": down}, extra={"checks": checks}
        )

    @app.middleware("http")
    async def trace_id_header(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        trace_id = current_trace_id()
        if trace_id:
            response.headers["X-Trace-Id"] = trace_id
        return response

    provider = setup_tracing(settings, service)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz",
        exclude_spans=["receive", "send"],
    )
    return app


async def start_runtime(
    service: str,
    settings: Settings,
    *,
    migrations: Path,
    consumers: ConsumerFactory | None = None,
    needs_temporal: bool = False,
    schema: str | None = None,
    publishes: bool = True,
) -> Runtime:
    setup_logging(service, settings.log_level)
    provider = setup_tracing(settings, service)
    schema = schema or schema_name(service)
    await migrate_as_owner(settings, migrations, schema)
    engine = make_engine(settings.database_url, schema, **database_options(settings))
    broker, profile = await connect_broker(settings, provider)
    relay = OutboxRelay(
        lambda: session_scope(engine),
        broker,
        schema=schema,
        poll_seconds=settings.outbox_poll_seconds,
        retention_days=settings.outbox_retention_days,
        signer=signer_from_settings(settings, service),
    )
    rt = Runtime(service, settings, engine, broker, relay, provider)
    if needs_temporal:
        rt.temporal = await connect_temporal(settings)
    rt.consumers = list(consumers(rt)) if consumers else []
    verifier = verifier_from_settings(settings) if rt.consumers else None
    for consumer in rt.consumers:
        if verifier is not None:
            consumer.verify_with(verifier)
        consumer.attach(broker, consumer_options(profile, settings.kafka_fetch_wait_ms))
    await broker.start()
    for consumer in rt.consumers:
        watch = consumer.watch_for_lost_log()
        rt.tasks.append(asyncio.create_task(watch, name=f"{consumer.group_id}-lost-log-watch"))
    if rt.consumers and profile is TANSU:  # the embedded broker's log dies with it
        epoch = watch_broker_epoch(
            settings.kafka_bootstrap, rt.consumers, kafka_connection(settings)
        )
        rt.tasks.append(asyncio.create_task(epoch, name=f"{service}-broker-epoch-watch"))
    if publishes:
        rt.tasks.append(asyncio.create_task(relay.run(), name=f"{service}-outbox-relay"))
    log.info("service started", extra={"schema": schema})
    return rt


async def migrate_as_owner(settings: Settings, migrations: Path, schema: str) -> None:
    """Migrate through the owner's URL and grant the runtime role (the service's own URL) its
    rights; with one URL for both (local tests), that role owns the schema and no grant is due."""
    owner = make_engine(
        settings.database_owner_url or settings.database_url,
        schema,
        ssl=database_options(settings)["ssl"],
        pool_size=1,
    )
    try:
        # Alembic keeps the running migration in module globals: services sharing a process
        # (embedded mode's `llwybr.host`) migrate one at a time.
        async with _migrating:
            await migrate(owner, migrations, schema, runtime_role=runtime_role_of(settings))
    finally:
        await owner.dispose()


_migrating = asyncio.Lock()


def runtime_role_of(settings: Settings) -> str | None:
    """The role the service runs as when it differs from the owner's; None when they are one."""
    runtime = make_url(settings.database_url).username
    owner = make_url(settings.database_owner_url).username if settings.database_owner_url else None
    if settings.mode == "production" and (owner is None or owner == runtime):
        raise RuntimeError(
            "in production LLWYBR_DATABASE_OWNER_URL must name the schema owner, a role other "
            "than LLWYBR_DATABASE_URL's: the service must not own the tables it writes"
        )
    return runtime if owner is not None and owner != runtime else None


async def stop_runtime(rt: Runtime) -> None:
    for task in rt.tasks:
        task.cancel()
    for task in rt.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await rt.broker.stop()
    await rt.engine.dispose()
    rt.tracer_provider.force_flush()


async def readiness(rt: Runtime) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        # Bounded: a server that accepts but never answers must not hang the probe.
        await asyncio.wait_for(_select_one(rt.engine), READY_TIMEOUT)
        checks["postgres"] = "ok"
    except Exception as exc:
        checks["postgres"] = f"down: {type(exc).__name__}"
    checks["kafka"] = "ok" if await rt.broker.ping(timeout=2.0) else "down"
    if rt.temporal is not None:
        try:
            await rt.temporal.service_client.check_health()
            checks["temporal"] = "ok"
        except Exception as exc:
            checks["temporal"] = f"down: {type(exc).__name__}"
    # A consumer blocked on a dependency is not ready even if that dependency answers a ping.
    for consumer in rt.consumers:
        checks[f"consumer {consumer.group_id}"] = consumer.readiness()
    return checks


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def serve(app: FastAPI, settings: Settings | None = None) -> None:
    """Run one service in the foreground (what `python -m <service>` does)."""
    import uvicorn

    settings = settings or get_settings()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port or 8000,
        log_config=None,
        access_log=False,
    )
