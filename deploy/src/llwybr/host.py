"""`python -m llwybr.host`: embedded mode's process for one or several Llwybr components.

Each component keeps everything it has in a process of its own (its settings, HTTP port,
schema and database role, signing key, consumer groups, tracer, log file); it shares only the
interpreter, so the libraries every service imports (FastAPI, SQLAlchemy, FastStream,
Temporal, OpenTelemetry: ~110 MB a process) are loaded once. Production runs one process per
service (deploy/src/llwybr/manifests.py); this is how `llwybr up` keeps a laptop's stack small.

The start is in two steps, so `llwybr up` can start its processes before the infrastructure
answers: the libraries are imported first, then the process reads one JSON line on stdin,
{"components": {name: {VAR: value, ...}}, "logs": dir}, each component's environment, which
`up` writes once the databases, broker and Temporal it names are ready. End of input before
that line: the stack was abandoned, and the process exits.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STARTUP_FAILED = 3  # like uvicorn's own exit code when a lifespan fails


def _warm_up() -> None:
    """Import what every component imports, while the infrastructure is still starting."""
    import fastapi  # noqa: F401
    import faststream.kafka  # noqa: F401
    import sqlmodel  # noqa: F401
    import temporalio.client  # noqa: F401
    import uvicorn  # noqa: F401

    import llwybr_common.runtime  # noqa: F401


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """`os.environ` is `env` while a component's app is built (its settings are read then)."""
    from llwybr_common.settings import get_settings

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


def load_app(entry: str) -> Any:
    """The ASGI app named `module:attribute` (an app, or a function that makes one)."""
    from fastapi import FastAPI

    module, _, attribute = entry.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    return found if isinstance(found, FastAPI) else found()


async def serve_all(components: dict[str, dict[str, str]], entries: dict[str, str]) -> int:
    import uvicorn

    from llwybr_common.logs import CURRENT_SERVICE

    class Server(uvicorn.Server):
        # One process, several servers: the host handles the signals for all of them.
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    servers: dict[str, Server] = {}
    contexts: dict[str, contextvars.Context] = {}
    for name, env in components.items():
        with _environment(env):
            token = CURRENT_SERVICE.set(name)
            try:
                app = load_app(entries[name])
            finally:
                CURRENT_SERVICE.reset(token)
        config = uvicorn.Config(
            app,
            host=env.get("LLWYBR_HTTP_HOST") or "127.0.0.1",
            port=int(env["LLWYBR_HTTP_PORT"]),
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        servers[name] = Server(config)
        context = contextvars.copy_context()
        context.run(CURRENT_SERVICE.set, name)  # every task a server starts inherits it
        contexts[name] = context

    loop = asyncio.get_running_loop()

    def stop(*_: object) -> None:
        for server in servers.values():
            server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    tasks = {
        name: asyncio.create_task(server.serve(), name=f"serve-{name}", context=contexts[name])
        for name, server in servers.items()
    }
    # One component that cannot start (or stops) takes the others down with it: `llwybr up`
    # and `restart` deal in the whole process, and a half-running host would look healthy.
    pending: set[asyncio.Task[None]] = set(tasks.values())
    failed = False
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for name, task in tasks.items():
            if task in done and not servers[name].started:
                failed = True
        if done:
            stop()
    return STARTUP_FAILED if failed else 0


def main() -> int:
    entries = json.loads(os.environ.pop("LLWYBR_HOST_ENTRIES"))
    _warm_up()
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # `up` went away before the infrastructure was ready
    order = json.loads(line)
    from llwybr_common.logs import log_each_service_to
    from llwybr_common.telemetry import host_several_services

    if len(order["components"]) > 1:
        log_each_service_to(Path(order["logs"]))
        host_several_services()
    return asyncio.run(serve_all(order["components"], entries))


if __name__ == "__main__":
    sys.exit(main())
