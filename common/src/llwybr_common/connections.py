"""How a process reaches real clusters: TLS and SASL for Kafka, TLS and API keys for Temporal,
TLS and pool sizes for PostgreSQL, all from `Settings` (deploy/README.md).

With every setting at its default the embedded stack's plain local connections are unchanged.
Nothing here opens a connection except `probe_broker`, which asks a Kafka broker what its
producers may rely on.
"""

import logging
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiokafka.abc import AbstractTokenProvider
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLOAuthBearer, SASLScram512
from temporalio.service import TLSConfig

from llwybr_common.http_client import service_client
from llwybr_common.settings import Settings

log = logging.getLogger(__name__)

SASL_MECHANISMS = ("SCRAM-SHA-512", "OAUTHBEARER")
SSL_MODES = ("disable", "require", "verify-ca", "verify-full")


def tls_context(
    ca_file: str = "",
    cert_file: str = "",
    key_file: str = "",
    *,
    verify: bool = True,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A client TLS context: the given CA (else the system's), an optional client certificate."""
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif not check_hostname:
        ctx.check_hostname = False
    if cert_file or key_file:
        if not (cert_file and key_file):
            raise ValueError("a client certificate needs both its certificate and its key file")
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


# --------------------------------------------------------------------------- Kafka


class OAuthClientCredentials(AbstractTokenProvider):  # type: ignore[misc]
    """OAUTHBEARER tokens by the client-credentials grant (Strimzi with Keycloak, Entra ID),
    fetched again a minute before they expire."""

    def __init__(self, url: str, client_id: str, secret: str, scope: str = "") -> None:
        self._url, self._id, self._secret, self._scope = url, client_id, secret, scope
        self._token, self._expires = "", 0.0

    async def token(self) -> str:
        if self._token and time.monotonic() < self._expires - 60:
            return self._token
        form = {"grant_type": "client_credentials"} | (
            {"scope": self._scope} if self._scope else {}
        )
        async with service_client(timeout=10) as client:
            resp = await client.post(self._url, data=form, auth=(self._id, self._secret))
        resp.raise_for_status()
        body = resp.json()
        self._token = str(body["access_token"])
        self._expires = time.monotonic() + float(body.get("expires_in", 300))
        return self._token


@dataclass(frozen=True)
class KafkaConnection:
    """What every Kafka client of a process is given: FastStream's security object (which also
    documents the security scheme in AsyncAPI) and, for OAUTHBEARER, the token provider."""

    security: BaseSecurity | None = None
    token_provider: AbstractTokenProvider | None = None

    def client_options(self) -> dict[str, Any]:
        """The same as keyword arguments of aiokafka's own clients (admin, CLI tools)."""
        options = parse_security(self.security)
        if self.token_provider is not None:
            options["sasl_oauth_token_provider"] = self.token_provider
        return options

    def broker_options(self) -> dict[str, Any]:
        """The same as keyword arguments of FastStream's KafkaBroker."""
        options: dict[str, Any] = {}
        if self.security is not None:
            options["security"] = self.security
        if self.token_provider is not None:
            options["sasl_oauth_token_provider"] = self.token_provider
        return options


def kafka_connection(settings: Settings) -> KafkaConnection:
    mechanism = settings.kafka_sasl_mechanism.upper()
    if mechanism and mechanism not in SASL_MECHANISMS:
        raise ValueError(f"LLWYBR_KAFKA_SASL_MECHANISM must be one of {SASL_MECHANISMS}")
    use_tls = settings.kafka_tls or bool(settings.kafka_tls_ca_file or settings.kafka_tls_cert_file)
    ctx = (
        tls_context(
            settings.kafka_tls_ca_file, settings.kafka_tls_cert_file, settings.kafka_tls_key_file
        )
        if use_tls
        else None
    )
    if mechanism == "SCRAM-SHA-512":
        if not (settings.kafka_sasl_username and settings.kafka_sasl_password):
            raise ValueError("SCRAM-SHA-512 needs LLWYBR_KAFKA_SASL_USERNAME and _PASSWORD")
        scram = SASLScram512(
            settings.kafka_sasl_username, settings.kafka_sasl_password, ctx, use_ssl=use_tls
        )
        return KafkaConnection(scram)
    if mechanism == "OAUTHBEARER":
        if not (settings.kafka_oauth_token_url and settings.kafka_oauth_client_id):
            raise ValueError("OAUTHBEARER needs LLWYBR_KAFKA_OAUTH_TOKEN_URL and _CLIENT_ID")
        provider = OAuthClientCredentials(
            settings.kafka_oauth_token_url,
            settings.kafka_oauth_client_id,
            settings.kafka_oauth_client_secret,
            settings.kafka_oauth_scope,
        )
        return KafkaConnection(SASLOAuthBearer(ctx, use_ssl=use_tls), provider)
    if use_tls:
        return KafkaConnection(BaseSecurity(ctx, use_ssl=True))
    return KafkaConnection()


@dataclass(frozen=True)
class BrokerProfile:
    """What a broker lets producers rely on, learnt by asking it (`probe_broker`), and how long
    a consumer's fetch should wait there for data."""

    name: str
    idempotent_producer: bool
    fetch_wait_ms: int


# Apache Kafka (and Strimzi, MSK, Confluent) grant a producer id, and answer a fetch as soon as
# a record arrives: the wait only bounds an idle poll, so aiokafka's default (500 ms) costs no
# latency. Tansu, the embedded broker, answers InitProducerId with an error (no idempotent
# producers) and often holds a fetch for its whole wait: measured here with eight consumers,
# produce-to-consume p50 122 ms at 500 ms, 7 ms at 100 ms, 6 ms at 50 ms, for an idle cost of
# 5%, 19% and 27% of a core (broker and consumers together). 100 ms takes nearly all the
# latency away for a small idle cost.
APACHE_KAFKA = BrokerProfile("apache-kafka", idempotent_producer=True, fetch_wait_ms=500)
TANSU = BrokerProfile("tansu", idempotent_producer=False, fetch_wait_ms=100)


def producer_options(
    profile: BrokerProfile, idempotence: Literal["auto", "on", "off"] | str = "auto"
) -> dict[str, Any]:
    """The producer settings for a broker: acks=all always (a record counts as sent only once
    `min.insync.replicas` replicas hold it), and idempotence wherever the broker offers it, so a
    retried batch is never written twice nor out of order."""
    if idempotence not in ("auto", "on", "off"):
        raise ValueError("LLWYBR_KAFKA_IDEMPOTENCE must be auto, on or off")
    if idempotence == "on" and not profile.idempotent_producer:
        raise ValueError(
            f"LLWYBR_KAFKA_IDEMPOTENCE=on but the broker ({profile.name}) grants no producer id"
        )
    idempotent = profile.idempotent_producer and idempotence != "off"
    return {"acks": "all", "enable_idempotence": idempotent}


def consumer_options(profile: BrokerProfile, fetch_wait_ms: int = 0) -> dict[str, Any]:
    """The consumer settings for a broker: its fetch wait, unless `LLWYBR_KAFKA_FETCH_WAIT_MS`
    names one (0: the broker's)."""
    if fetch_wait_ms < 0:
        raise ValueError("LLWYBR_KAFKA_FETCH_WAIT_MS must be 0 (the broker's) or more")
    return {"fetch_max_wait_ms": fetch_wait_ms or profile.fetch_wait_ms}


async def probe_broker(bootstrap: str, connection: KafkaConnection | None = None) -> BrokerProfile:
    """Ask the broker for a producer id (InitProducerId, the first thing an idempotent producer
    does); a broker that refuses or does not know the request gets no idempotent producers."""
    from aiokafka.client import AIOKafkaClient
    from aiokafka.errors import KafkaError
    from aiokafka.protocol.transaction import InitProducerIdRequest

    options = (connection or KafkaConnection()).client_options()
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000, **options)
    await client.bootstrap()  # unreachable or refused credentials: raises, as the broker would
    try:
        node = client.get_random_node()
        request = InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=60000)
        try:
            response = await client.send(node, request)
        except KafkaError as exc:
            log.info("broker gave no producer id", extra={"reason": type(exc).__name__})
            return TANSU
        return APACHE_KAFKA if response.error_code == 0 else TANSU
    finally:
        await client.close()


# --------------------------------------------------------------------------- Temporal


def temporal_options(settings: Settings) -> dict[str, Any]:
    """Client.connect keyword arguments: TLS (mutual with a client certificate) and, for
    Temporal Cloud, the API key, which always travels over TLS."""
    wants_tls = (
        settings.temporal_tls
        or settings.temporal_api_key
        or settings.temporal_tls_ca_file
        or settings.temporal_tls_cert_file
    )
    options: dict[str, Any] = {}
    if settings.temporal_api_key:
        options["api_key"] = settings.temporal_api_key
    if not wants_tls:
        return options
    if bool(settings.temporal_tls_cert_file) != bool(settings.temporal_tls_key_file):
        raise ValueError("Temporal mTLS needs both LLWYBR_TEMPORAL_TLS_CERT_FILE and _KEY_FILE")
    options["tls"] = TLSConfig(
        server_root_ca_cert=_read(settings.temporal_tls_ca_file),
        client_cert=_read(settings.temporal_tls_cert_file),
        client_private_key=_read(settings.temporal_tls_key_file),
        domain=settings.temporal_tls_server_name or None,
    )
    return options


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if path else None


# --------------------------------------------------------------------------- PostgreSQL


def database_ssl(settings: Settings) -> ssl.SSLContext | bool | None:
    """asyncpg's `ssl` argument for LLWYBR_DATABASE_SSLMODE, with libpq's meanings: require
    encrypts without checking the certificate, verify-ca checks it against the CA, verify-full
    also checks the host name. Empty: whatever the URL says (the embedded socket: no TLS)."""
    mode = settings.database_sslmode
    if not mode:
        return None
    if mode not in SSL_MODES:
        raise ValueError(f"LLWYBR_DATABASE_SSLMODE must be one of {SSL_MODES}")
    if mode == "disable":
        return False
    if mode.startswith("verify") and not settings.database_ssl_root_cert:
        log.info("verifying PostgreSQL's certificate against the system CAs")
    return tls_context(
        settings.database_ssl_root_cert,
        settings.database_ssl_cert,
        settings.database_ssl_key,
        verify=mode != "require",
        check_hostname=mode == "verify-full",
    )


def database_options(settings: Settings) -> dict[str, Any]:
    """make_engine(url, schema, **database_options(settings))."""
    return {
        "ssl": database_ssl(settings),
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
    }
