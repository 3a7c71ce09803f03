"""Kafka topic names and partition counts (docs/events.md).

Topics are created with these counts before any consumer starts; each has a dead-letter
topic `<topic>.dlq` with the same count.
"""

from typing import Final

DEFAULT_PARTITIONS: Final = 6

REFERRAL: Final = "aln.referral.v1"
JOURNEY: Final = "aln.journey.v1"
HEALTH: Final = "aln.health.v1"
IDP: Final = "aln.idp.v1"
ADVOCACY: Final = "aln.advocacy.v1"
NOTIFICATIONS: Final = "aln.notifications.v1"

TOPICS: Final[dict[str, int]] = {
    REFERRAL: DEFAULT_PARTITIONS,
    JOURNEY: DEFAULT_PARTITIONS,
    HEALTH: DEFAULT_PARTITIONS,
    IDP: DEFAULT_PARTITIONS,
    ADVOCACY: DEFAULT_PARTITIONS,
    NOTIFICATIONS: DEFAULT_PARTITIONS,
}


def dlq(topic: str) -> str:
    """The dead-letter topic for `topic`."""
    return f"{topic}.dlq"


def all_topics() -> dict[str, int]:
    """Every topic to create, dead-letter topics included, with its partition count."""
    out = dict(TOPICS)
    out.update({dlq(t): n for t, n in TOPICS.items()})
    return out
