"""One validated Settings object for every service, read from `LLWYBR_*` environment variables.

Local defaults point at the embedded stack that `llwybr up` starts; production sets the same
variables to real Kafka, Temporal, PostgreSQL and an OTLP collector.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LLWYBR_", extra="ignore")

    mode: str = Field("embedded", description="embedded | production")
    home: Path = Field(Path(".llwybr"), description="state directory of the embedded stack")
    service: str = Field("", description="the service this process runs (folder name)")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    database_url: str = Field(
        "",
        description="the service's runtime role (owns nothing; may not change the audit log), "
        "a SQLAlchemy async URL, e.g. postgresql+asyncpg://referral_app@host/llwybr",
    )
    database_owner_url: str = Field(
        "",
        description="the schema owner's URL, used only to migrate at start and grant the runtime "
        "role its rights; empty outside production: LLWYBR_DATABASE_URL does both",
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    otlp_endpoint: str = Field("", description="OTLP/HTTP endpoint; empty: spans to a file")
    span_file: str = Field("", description="where spans go when no OTLP endpoint is set")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = Field("llwybr@llwybr.example.org", description="sender of Llwybr's email")
    email_max_attempts: int = Field(8, description="SMTP tries before NotificationFailed")
    email_retry_seconds: float = Field(
        5.0, description="wait after the first failed SMTP try; doubles each time, up to 5 min"
    )
    console_url: str = Field("", description="the console's public base URL, for links in email")
    family_link_secret: str = Field(
        "", description="production: the key that signs families' links to their case view"
    )
    family_link_days: int = Field(90, description="days a family's link to their case works")
    people_file: str = Field(
        "", description="embedded mode: the people CSV to seed (deploy's illustrative people)"
    )
    outbox_poll_seconds: float = 0.2
    outbox_retention_days: int = 14
    max_delivery_attempts: int = 5
    event_signing_key: str = Field(
        "", description="this process's Ed25519 private key (PEM file) for signing its events"
    )
    event_verify_keys: str = Field(
        "", description="directory of producers' public keys, <service>.pem, to check events"
    )
    reconcile_seconds: float = Field(
        30.0, description="how often the worker starts journeys missing for open cases"
    )
    reconcile_days: int = Field(14, description="how far back the reconciler looks for cases")
    jwt_issuer: str = "llwybr-embedded"
    jwt_audience: str = "llwybr"
    jwks_url: str = Field("", description="production: the OIDC provider's JWKS URL")
    service_token: str = Field("", description="production: this service's client credential")
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description='other services\' base URLs for claim-check calls, JSON: {"referral": "http://..."}',
    )
    log_level: str = "INFO"
    max_body_bytes: int = Field(1_000_000, description="larger request bodies get 413")

    # Real clusters (deploy/README.md). Empty or default values keep the embedded stack's
    # plaintext, unauthenticated local connections.
    kafka_tls: bool = Field(False, description="connect to Kafka over TLS")
    kafka_tls_ca_file: str = Field("", description="PEM CA bundle for the brokers' certificates")
    kafka_tls_cert_file: str = Field("", description="PEM client certificate (mutual TLS)")
    kafka_tls_key_file: str = Field("", description="PEM private key of the client certificate")
    kafka_sasl_mechanism: str = Field("", description="'', SCRAM-SHA-512 or OAUTHBEARER")
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_oauth_token_url: str = Field("", description="OAUTHBEARER: the token endpoint")
    kafka_oauth_client_id: str = ""
    kafka_oauth_client_secret: str = ""
    kafka_oauth_scope: str = ""
    kafka_idempotence: str = Field(
        "auto", description="auto (ask the broker), on (refuse to start without it) or off"
    )
    kafka_fetch_wait_ms: int = Field(
        0, description="how long a consumer's fetch waits at the broker; 0: the broker's profile"
    )
    kafka_replication_factor: int = Field(1, description="replicas per topic; production: 3")
    kafka_min_insync_replicas: int = Field(1, description="acks=all needs this many; prod: 2")
    kafka_partitions: int = Field(0, description="partitions per topic; 0: the catalogue's count")
    kafka_retention_hours: int = Field(0, description="topic retention.ms; 0: broker default")
    temporal_tls: bool = Field(False, description="connect to Temporal over TLS")
    temporal_tls_ca_file: str = Field("", description="PEM CA of the frontend; empty: system")
    temporal_tls_cert_file: str = Field("", description="PEM client certificate (mTLS)")
    temporal_tls_key_file: str = Field("", description="PEM private key of the client cert")
    temporal_tls_server_name: str = Field("", description="TLS server name, if not the host")
    temporal_api_key: str = Field("", description="Temporal Cloud API key (implies TLS)")
    database_sslmode: str = Field(
        "", description="'', disable, require, verify-ca or verify-full (libpq's meanings)"
    )
    database_ssl_root_cert: str = Field("", description="PEM CA for verify-ca / verify-full")
    database_ssl_cert: str = Field("", description="PEM client certificate, if the server asks")
    database_ssl_key: str = Field("", description="PEM private key of the client certificate")
    database_pool_size: int = Field(5, description="connections kept open by this process")
    database_max_overflow: int = Field(10, description="extra connections under load")


@lru_cache
def get_settings() -> Settings:
    return Settings()
