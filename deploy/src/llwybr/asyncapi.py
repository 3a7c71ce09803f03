"""The AsyncAPI document, generated from FastStream brokers that declare what each context
subscribes to and publishes (docs/events.md)."""

import importlib
import json
from types import SimpleNamespace
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CATALOGUE

# Who publishes each topic, and which consumer groups read it.
PRODUCERS = {
    topics.REFERRAL: "referral",
    topics.JOURNEY: "workflows (journey worker)",
    topics.HEALTH: "health-liaison",
    topics.IDP: "idp",
    topics.ADVOCACY: "advocacy",
    topics.NOTIFICATIONS: "notifications",
}
# The real consumer factories of each process, attached here to a documentation broker.
CONSUMER_FACTORIES = (
    "llwybr_workflows.bridge:consumers",
    "notifications.consumers:consumers",
    "health_liaison.consumers:consumers",
    "referral.consumers:consumers",
    "insight.consumers:consumers",
)


def build() -> dict[str, Any]:
    broker = KafkaBroker("kafka:9092", description="Apache Kafka (Tansu in embedded mode)")
    for topic, producer in PRODUCERS.items():
        events = sorted(cls.event_name() for cls in CATALOGUE.values() if cls.topic == topic)
        description = f"Produced by {producer}. Events: {', '.join(events)}. Key: case id."
        broker.publisher(
            topic, title=f"{topic}:publish", description=description, schema=CloudEvent
        )
        broker.publisher(
            topics.dlq(topic),
            title=f"{topics.dlq(topic)}:publish",
            description="Dead letters: original message, headers x-llwybr-consumer-group, "
            "x-llwybr-attempts, x-llwybr-error, x-llwybr-original-topic.",
        )
    stub = SimpleNamespace(engine=None, broker=broker, settings=Settings())
    for ref in CONSUMER_FACTORIES:
        module, name = ref.split(":")
        for consumer in getattr(importlib.import_module(module), name)(stub):
            consumer.attach(broker)
    spec = AsyncAPI(broker, title="Llwybr events", version="1.0.0", schema_version="3.0.0")
    return spec.to_specification().to_jsonable()  # type: ignore[no-any-return]


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
