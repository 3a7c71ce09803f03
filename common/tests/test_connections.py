"""Connection settings for real clusters: the producer settings chosen for each broker, and the
TLS / SASL / API-key options each client gets (deploy/README.md, "Settings for clusters").

The Kafka TLS context is checked in a real TLS handshake with a local server holding a
certificate from a throwaway CA; PostgreSQL's is exercised against a real server in
tests/integration/test_clusters.py."""

import asyncio
import ssl
from pathlib import Path

import pytest

from llwybr_common.connections import (
    APACHE_KAFKA,
    TANSU,
    OAuthClientCredentials,
    consumer_options,
    database_options,
    database_ssl,
    kafka_connection,
    producer_options,
    temporal_options,
)
from llwybr_common.kafka import IdempotentConsumer, make_broker
from llwybr_common.settings import Settings
from tests.certs import Issued, issue, make_ca

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued]:
    d = tmp_path_factory.mktemp("pki")
    ca, ca_key, ca_cert = make_ca(d)
    server = issue(
        d, "server", ca_key, ca_cert, common_name="localhost", hosts=("localhost", "127.0.0.1")
    )
    client = issue(d, "client", ca_key, ca_cert, common_name="referral", client=True)
    other, _, _ = make_ca(d / "other", name="Someone else's CA")
    return {"ca": ca, "server": server, "client": client, "other_ca": other}


# --------------------------------------------------------------------------- producers


def test_apache_kafka_gets_acks_all_and_the_idempotent_producer() -> None:
    assert producer_options(APACHE_KAFKA) == {"acks": "all", "enable_idempotence": True}


def test_tansu_gets_acks_all_without_idempotence_which_it_cannot_grant() -> None:
    assert producer_options(TANSU) == {"acks": "all", "enable_idempotence": False}


def test_idempotence_can_be_turned_off_but_never_acks_all() -> None:
    assert producer_options(APACHE_KAFKA, "off") == {"acks": "all", "enable_idempotence": False}


def test_idempotence_on_refuses_a_broker_that_grants_no_producer_id() -> None:
    with pytest.raises(ValueError, match="grants no producer id"):
        producer_options(TANSU, "on")
    assert producer_options(APACHE_KAFKA, "on")["enable_idempotence"] is True


def test_the_broker_a_service_builds_uses_the_chosen_producer_settings() -> None:
    # FastStream keeps what it will hand aiokafka's producer in `_connection_kwargs`.
    broker = make_broker("kafka:9092", producer=producer_options(APACHE_KAFKA))
    config = broker._connection_kwargs
    assert config["acks"] == "all" and config["enable_idempotence"] is True
    plain = make_broker("kafka:9092")._connection_kwargs
    assert plain["acks"] == "all" and plain["enable_idempotence"] is False


# --------------------------------------------------------------------------- Kafka security


def test_embedded_defaults_mean_a_plain_connection() -> None:
    assert kafka_connection(Settings()).client_options() == {}
    assert kafka_connection(Settings()).broker_options() == {}


def test_scram_sha_512_over_tls(pki: dict[str, Issued]) -> None:
    settings = Settings(
        kafka_tls_ca_file=str(pki["ca"].cert),
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="referral",
        kafka_sasl_password="s3cret",
    )
    options = kafka_connection(settings).client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "referral"
    ctx = options["ssl_context"]
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_scram_without_a_password_is_refused() -> None:
    with pytest.raises(ValueError, match="SCRAM-SHA-512 needs"):
        kafka_connection(Settings(kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="u"))


def test_oauthbearer_gets_a_client_credentials_token_provider() -> None:
    settings = Settings(
        kafka_tls=True,
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_oauth_token_url="https://login.example/token",
        kafka_oauth_client_id="llwybr-referral",
        kafka_oauth_client_secret="x",
    )
    options = kafka_connection(settings).client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(options["sasl_oauth_token_provider"], OAuthClientCredentials)
    assert "sasl_oauth_token_provider" in kafka_connection(settings).broker_options()


def test_an_unsupported_mechanism_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="LLWYBR_KAFKA_SASL_MECHANISM"):
        kafka_connection(Settings(kafka_sasl_mechanism="PLAIN"))


async def _handshake(pki: dict[str, Issued], client_ctx: ssl.SSLContext) -> str:
    """A TLS server requiring a client certificate from the test CA; returns the client's CN."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"].cert))
    server_ctx.load_cert_chain(pki["server"].cert, pki["server"].key)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    seen: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert") or {}
        names = [v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"]
        if not seen.done():
            seen.set_result(names[0] if names else "")
        writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
        )
        writer.close()
        return await asyncio.wait_for(seen, 5)
    finally:
        server.close()


async def test_the_kafka_tls_context_verifies_the_broker_and_presents_the_client_cert(
    pki: dict[str, Issued],
) -> None:
    settings = Settings(
        kafka_tls_ca_file=str(pki["ca"].cert),
        kafka_tls_cert_file=str(pki["client"].cert),
        kafka_tls_key_file=str(pki["client"].key),
    )
    options = kafka_connection(settings).client_options()
    assert options["security_protocol"] == "SSL"
    assert await _handshake(pki, options["ssl_context"]) == "referral"


async def test_the_kafka_tls_context_refuses_a_broker_signed_by_another_ca(
    pki: dict[str, Issued],
) -> None:
    settings = Settings(kafka_tls_ca_file=str(pki["other_ca"].cert))
    ctx = kafka_connection(settings).client_options()["ssl_context"]
    with pytest.raises(ssl.SSLCertVerificationError):
        await _handshake(pki, ctx)


# --------------------------------------------------------------------------- Temporal


def test_temporal_defaults_are_plain() -> None:
    assert temporal_options(Settings()) == {}


def test_temporal_mutual_tls_reads_the_ca_and_the_client_pair(pki: dict[str, Issued]) -> None:
    settings = Settings(
        temporal_tls_ca_file=str(pki["ca"].cert),
        temporal_tls_cert_file=str(pki["client"].cert),
        temporal_tls_key_file=str(pki["client"].key),
        temporal_tls_server_name="temporal.example",
    )
    tls = temporal_options(settings)["tls"]
    assert tls.server_root_ca_cert == Path(pki["ca"].cert).read_bytes()
    assert tls.client_cert == Path(pki["client"].cert).read_bytes()
    assert tls.client_private_key == Path(pki["client"].key).read_bytes()
    assert tls.domain == "temporal.example"


def test_a_temporal_cloud_api_key_always_travels_over_tls() -> None:
    options = temporal_options(Settings(temporal_api_key="tc-key"))
    assert options["api_key"] == "tc-key"
    assert options["tls"].client_cert is None  # system CAs, no client certificate


def test_a_temporal_client_cert_without_its_key_is_refused(pki: dict[str, Issued]) -> None:
    with pytest.raises(ValueError, match="TEMPORAL_TLS_CERT_FILE"):
        temporal_options(Settings(temporal_tls_cert_file=str(pki["client"].cert)))


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_defaults_leave_the_url_alone_with_a_pool_per_service() -> None:
    assert database_ssl(Settings()) is None
    assert database_options(Settings(database_pool_size=3)) == {
        "ssl": None,
        "pool_size": 3,
        "max_overflow": 10,
    }


@pytest.mark.parametrize(
    ("mode", "verify", "hostname"),
    [
        ("require", ssl.CERT_NONE, False),
        ("verify-ca", ssl.CERT_REQUIRED, False),
        ("verify-full", ssl.CERT_REQUIRED, True),
    ],
)
def test_postgres_ssl_modes_have_libpqs_meanings(
    pki: dict[str, Issued], mode: str, verify: ssl.VerifyMode, hostname: bool
) -> None:
    ctx = database_ssl(Settings(database_sslmode=mode, database_ssl_root_cert=str(pki["ca"].cert)))
    assert isinstance(ctx, ssl.SSLContext)
    assert (ctx.verify_mode, ctx.check_hostname) == (verify, hostname)


def test_postgres_ssl_disable_and_unknown_modes() -> None:
    assert database_ssl(Settings(database_sslmode="disable")) is False
    with pytest.raises(ValueError, match="LLWYBR_DATABASE_SSLMODE"):
        database_ssl(Settings(database_sslmode="prefer"))


# --------------------------------------------------------------------------- consumers


def test_consumers_wait_briefly_on_tansu_and_keep_kafkas_default_on_kafka() -> None:
    # Tansu holds a fetch for its whole wait (500 ms put ~120 ms on every hop); Kafka answers
    # as soon as a record arrives, so the wait there only bounds an idle poll.
    assert consumer_options(TANSU) == {"fetch_max_wait_ms": 100}
    assert consumer_options(APACHE_KAFKA) == {"fetch_max_wait_ms": 500}
    assert consumer_options(TANSU, 20) == {"fetch_max_wait_ms": 20}  # the operator's choice
    with pytest.raises(ValueError, match="FETCH_WAIT_MS"):
        consumer_options(APACHE_KAFKA, -1)


def test_a_consumer_fetches_with_the_wait_of_the_broker_it_was_attached_for() -> None:
    # FastStream keeps what it will hand aiokafka's consumer in `_connection_args`.
    def wait_of(options: dict[str, int] | None) -> int:
        broker = make_broker("kafka:9092")
        consumer = IdempotentConsumer(
            topic="aln.t.v1",
            group_id="g",
            engine=None,  # type: ignore[arg-type]
            broker=broker,
            handlers={},
        )
        consumer.attach(broker, options)
        return int(consumer._subscriber._connection_args["fetch_max_wait_ms"])

    assert wait_of(consumer_options(APACHE_KAFKA)) == 500
    assert wait_of(consumer_options(TANSU)) == 100
    assert wait_of(None) == 100  # unprobed (the AsyncAPI document): the embedded broker's
