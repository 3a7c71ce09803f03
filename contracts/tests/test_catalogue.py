"""The event catalogue matches docs/events.md, and envelopes reject bad input with a reason."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

from llwybr_contracts import topics
from llwybr_contracts.envelope import EnvelopeError, unwrap, wrap
from llwybr_contracts.events import CATALOGUE, CaseOpened, JourneyStarted
from llwybr_contracts.schemas import all_schemas
from llwybr_contracts.states import CaseState

pytestmark = pytest.mark.unit

# docs/events.md, catalogue: topic -> events.
CATALOGUE_TABLE = {
    "aln.referral.v1": {"ReferralReceived", "CaseOpened", "CaseRouted", "ConsentRecorded"},
    "aln.journey.v1": {
        "JourneyStarted", "StateChanged", "AlnDecided", "ReferredToLa", "ClockStarted",
        "ClockChanged", "ClockMet", "DeadlineAtRisk", "DeadlineDue", "DeadlineBreached",
        "DeadlineEscalated", "HealthInputRequested", "HealthInputWithdrawn",
        "AppealWindowOpened", "CaseClosed", "CalendarChanged",
    },
    "aln.health.v1": {"HealthInputReceived", "HealthInputImpractical"},
    "aln.idp.v1": {"IdpDrafted", "IdpIssued", "IdpReviewed", "IdpTransferred", "IdpCeased"},
    "aln.advocacy.v1": {
        "AdvocacyHandoffAccepted", "DisagreementRaised", "DisagreementConcluded", "AppealLodged",
        "AppealDecided",
    },
    "aln.notifications.v1": {"NotificationDelivered", "NotificationFailed"},
}  # fmt: skip

# Fields that would carry personal data; events are pseudonymous (docs/rules.md#privacy).
FORBIDDEN = re.compile(r"name|birth|dob|nhs|upn|address|note|text|concern|email|phone")


def test_catalogue_is_exactly_the_documented_one() -> None:
    by_topic: dict[str, set[str]] = {}
    for cls in CATALOGUE.values():
        by_topic.setdefault(cls.topic, set()).add(cls.event_name())
    assert by_topic == CATALOGUE_TABLE
    assert set(topics.TOPICS) == set(CATALOGUE_TABLE)


def test_types_follow_the_naming_rule() -> None:
    assert JourneyStarted.cloudevent_type() == "wales.aln.journey.journey-started.v1"
    types = {cls.event_name(): t for t, cls in CATALOGUE.items()}
    assert types["DeadlineBreached"] == "wales.aln.journey.deadline-breached.v1"
    assert types["HealthInputReceived"] == "wales.aln.health.health-input-received.v1"


def test_no_event_field_can_carry_personal_data() -> None:
    offenders = [
        f"{cls.event_name()}.{field}"
        for cls in CATALOGUE.values()
        for field in cls.model_fields
        if FORBIDDEN.search(field)
    ]
    assert offenders == []


def test_every_topic_has_a_dead_letter_topic_with_its_partitions() -> None:
    every = topics.all_topics()
    for topic, partitions in topics.TOPICS.items():
        assert every[f"{topic}.dlq"] == partitions == 6


def _opened() -> CaseOpened:
    return CaseOpened(
        case_id="c-1",
        child_ref="ch-1",
        authority="W06000015",
        received_on=date(2026, 11, 16),
        state=CaseState.DECISION_PENDING,
    )


def test_round_trip_keeps_id_subject_and_traceparent() -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    envelope = wrap(
        _opened(), event_id="e-1", source="/llwybr/referral", subject="c-1", traceparent=tp
    )
    parsed, payload = unwrap(envelope.model_dump_json())
    assert (parsed.id, parsed.subject, parsed.traceparent) == ("e-1", "c-1", tp)
    assert parsed.type == "wales.aln.referral.case-opened.v1"
    assert payload == _opened()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid CloudEvent envelope"),
        (b'{"specversion": "1.0"}', "id: Field required"),
    ],
)
def test_unreadable_envelopes_name_the_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        unwrap(raw)


def test_unknown_type_and_bad_payload_are_named() -> None:
    good = json.loads(wrap(_opened(), event_id="e", source="/s", subject="c-1").model_dump_json())
    unknown = {**good, "type": "wales.aln.referral.made-up.v1"}
    with pytest.raises(
        EnvelopeError, match=re.escape("unknown event type 'wales.aln.referral.made-up.v1'")
    ):
        unwrap(json.dumps(unknown))
    bad = {**good, "data": {**good["data"], "received_on": "31/02/2026"}}
    with pytest.raises(EnvelopeError, match="invalid CaseOpened payload: received_on"):
        unwrap(json.dumps(bad))


def test_schemas_cover_every_event_and_the_envelope() -> None:
    schemas = all_schemas()
    assert set(CATALOGUE) <= set(schemas)
    assert "cloudevent" in schemas
    assert schemas["wales.aln.journey.journey-started.v1"]["x-topic"] == "aln.journey.v1"


def test_the_documented_catalogue_is_the_code() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    documented: dict[str, set[str]] = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `aln."):
            topic_cell, events_cell, _ = line.strip("|").split("|")
            names = re.findall(r"`([A-Z]\w+)`", events_cell)
            documented[topic_cell.strip().strip("`")] = set(names)
    assert documented == CATALOGUE_TABLE
