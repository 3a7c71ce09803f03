"""What `llwybr provision` asks a cluster for, from settings alone (no cluster needed); the
same code against the real broker is in tests/integration/test_clusters.py."""

from pathlib import Path

import pytest

from llwybr.provision import ProvisionError, settings_from, topic_specs
from llwybr.stack import Stack
from llwybr_common.settings import Settings
from llwybr_contracts.topics import TOPICS, dlq

pytestmark = pytest.mark.unit


def test_embedded_defaults_are_replication_1_and_min_insync_1_on_every_topic() -> None:
    specs = {s.name: s for s in topic_specs(Settings())}
    assert set(specs) == set(TOPICS) | {dlq(t) for t in TOPICS}
    assert {(s.partitions, s.replication) for s in specs.values()} == {(6, 1)}
    assert all(s.configs == {"min.insync.replicas": "1"} for s in specs.values())


def test_production_values_come_from_the_environment() -> None:
    settings = settings_from(
        {
            "LLWYBR_KAFKA_REPLICATION_FACTOR": "3",
            "LLWYBR_KAFKA_MIN_INSYNC_REPLICAS": "2",
            "LLWYBR_KAFKA_PARTITIONS": "12",
            "LLWYBR_KAFKA_RETENTION_HOURS": "336",
        }
    )
    specs = topic_specs(settings)
    assert {(s.partitions, s.replication) for s in specs} == {(12, 3)}
    assert specs[0].configs == {"min.insync.replicas": "2", "retention.ms": str(336 * 3_600_000)}


def test_min_insync_above_replication_is_refused_before_touching_a_cluster() -> None:
    with pytest.raises(ProvisionError, match="cannot exceed"):
        topic_specs(Settings(kafka_replication_factor=1, kafka_min_insync_replicas=2))


def test_with_every_endpoint_external_up_starts_only_the_services(tmp_path: Path) -> None:
    stack = Stack(
        tmp_path,
        environ={
            "LLWYBR_DATABASE_URL": "postgresql+asyncpg://referral_app@db:5432/llwybr",
            "LLWYBR_KAFKA_BOOTSTRAP": "kafka-0:9093,kafka-1:9093,kafka-2:9093",
            "LLWYBR_TEMPORAL_ADDRESS": "temporal-frontend:7233",
            "LLWYBR_SMTP_HOST": "smtp.example",
        },
    )
    assert stack.embedded == []
    assert stack.ports_needed(components=[]) == {}  # no server of its own, no port for one
