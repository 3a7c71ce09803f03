"""What a Kafka and a Temporal cluster must hold before Llwybr starts: every topic, with its
partitions, replication and configs, and the journey's search attributes.

Idempotent: what exists is left as it is and reported when it differs from what the settings
ask (a topic's partition count is never raised here: adding partitions moves a case's key to
another partition, which would break per-case ordering; do it deliberately, between releases).
The embedded stack runs the same code at `llwybr up` with replication 1.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llwybr_common.connections import KafkaConnection, kafka_connection, temporal_options
from llwybr_common.settings import Settings
from llwybr_contracts.topics import all_topics

log = logging.getLogger(__name__)

TOPIC_EXISTS = 36  # Kafka's TOPIC_ALREADY_EXISTS: another provisioner got there first


class ProvisionError(Exception):
    """A failure whose message is meant for the person running `llwybr provision`."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    configs: dict[str, str]


@dataclass
class TopicReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # what differs from the settings, in words


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic, dead-letter topics included, as the settings ask for it."""
    if settings.kafka_min_insync_replicas > settings.kafka_replication_factor:
        raise ProvisionError(
            "LLWYBR_KAFKA_MIN_INSYNC_REPLICAS cannot exceed LLWYBR_KAFKA_REPLICATION_FACTOR: "
            "no write with acks=all could ever succeed"
        )
    configs = {"min.insync.replicas": str(settings.kafka_min_insync_replicas)}
    if settings.kafka_retention_hours:
        configs["retention.ms"] = str(settings.kafka_retention_hours * 3_600_000)
    return [
        TopicSpec(
            name, settings.kafka_partitions or count, settings.kafka_replication_factor, configs
        )
        for name, count in all_topics().items()
    ]


async def create_topics(
    bootstrap: str, specs: list[TopicSpec], connection: KafkaConnection | None = None
) -> TopicReport:
    """Create the topics that are missing; describe the others and report any drift."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=10000,
        **(connection or KafkaConnection()).client_options(),
    )
    report = TopicReport()
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [s for s in specs if s.name not in existing]
        if new:
            topics = [
                NewTopic(s.name, s.partitions, s.replication, topic_configs=s.configs) for s in new
            ]
            response = await admin.create_topics(topics)
            refused = [
                f"{name}: {message or code}"
                for name, code, message in response.topic_errors
                if code not in (0, TOPIC_EXISTS)
            ]
            if refused:
                raise ProvisionError(f"Kafka at {bootstrap} refused topics: {'; '.join(refused)}")
        report.created = sorted(s.name for s in new)
        old = [s for s in specs if s.name in existing]
        report.existing = sorted(s.name for s in old)
        if old:
            report.drift = await _drift(admin, old)
        still_missing = {s.name for s in specs} - set(await admin.list_topics())
    finally:
        await admin.close()
    if still_missing:
        raise ProvisionError(f"Kafka at {bootstrap} did not create topics: {sorted(still_missing)}")
    return report


async def _drift(admin: Any, specs: list[TopicSpec]) -> list[str]:
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    drift: list[str] = []
    described = {t["topic"]: t for t in await admin.describe_topics([s.name for s in specs])}
    configs: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs]
    ):
        for _code, _msg, _type, name, entries in response.resources:
            configs[name] = {e[0]: e[1] for e in entries}
    for spec in specs:
        partitions = described.get(spec.name, {}).get("partitions", [])
        if len(partitions) < spec.partitions:
            drift.append(
                f"{spec.name}: {len(partitions)} partitions, settings ask {spec.partitions}"
            )
        replicas = min((len(p["replicas"]) for p in partitions), default=0)
        if replicas < spec.replication:
            drift.append(f"{spec.name}: replication {replicas}, settings ask {spec.replication}")
        for key, wanted in spec.configs.items():
            have = configs.get(spec.name, {}).get(key)
            if have is not None and have != wanted:
                drift.append(f"{spec.name}: {key}={have}, settings ask {wanted}")
    return drift


async def register_search_attributes(
    address: str, namespace: str, options: Mapping[str, Any] | None = None
) -> list[str]:
    """Add the journey's custom search attributes that are missing; returns those added.

    Temporal Cloud manages search attributes through its own control plane (tcld or the web
    UI); there, create them once by hand with the names and types in llwybr_contracts.temporal.
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )
    from temporalio.client import Client

    from llwybr_contracts.temporal import SEARCH_ATTRIBUTES

    client = await Client.connect(address, namespace=namespace, **dict(options or {}))
    ops = client.operator_service
    known = await ops.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    missing = {n: t for n, t in SEARCH_ATTRIBUTES.items() if n not in known.custom_attributes}
    if missing:
        kinds = {
            name: IndexedValueType.Value("INDEXED_VALUE_TYPE_" + _snake(kind).upper())
            for name, kind in missing.items()
        }
        await ops.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=kinds)
        )
    return sorted(missing)


def _snake(camel: str) -> str:
    # "KeywordList" -> "keyword_list", the spelling of IndexedValueType's members.
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(camel)).lower()


def settings_from(environ: Mapping[str, str]) -> Settings:
    """Settings of the Kafka and Temporal connection read from `environ` (a Stack's, which may
    not be this process's own); everything else keeps its default."""
    wanted = {
        name: environ[f"LLWYBR_{name.upper()}"]
        for name in Settings.model_fields
        if name.startswith(("kafka_", "temporal_")) and f"LLWYBR_{name.upper()}" in environ
    }
    return Settings.model_validate(wanted)


async def provision(
    settings: Settings, *, topics: bool = True, temporal: bool = True
) -> dict[str, Any]:
    """Topics on the Kafka cluster and search attributes on the Temporal namespace."""
    out: dict[str, Any] = {}
    if topics:
        report = await create_topics(
            settings.kafka_bootstrap, topic_specs(settings), kafka_connection(settings)
        )
        out["topics"] = report
    if temporal:
        out["search_attributes"] = await register_search_attributes(
            settings.temporal_address, settings.temporal_namespace, temporal_options(settings)
        )
    return out
