"""CloudEvents 1.0, structured mode: the JSON envelope is the Kafka message value.

The producer sets `id` (never the broker's offset, which changes on a retry), `subject` is the
case id (or the authority's ONS code for `CalendarChanged`) and is also the Kafka key, and
`traceparent` (distributed tracing extension) travels in the envelope and as a Kafka header.
`llwybrsig` (extension) is the producing service's signature over the rest of the envelope
(llwybr_common.event_signing); consumers refuse an event without a valid one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TYPE_PATTERN = re.compile(r"^wales\.aln\.[a-z]+\.[a-z0-9-]+\.v[0-9]+$")
SIGNATURE_ATTRIBUTE = "llwybrsig"


class CloudEvent(BaseModel):
    """The envelope around every event payload."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = Field("1.0", pattern=r"^1\.0$")
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, description="URI-reference of the producing service")
    type: str = Field(pattern=TYPE_PATTERN.pattern)
    subject: str = Field(min_length=1, description="case id (or authority ONS code)")
    time: datetime
    datacontenttype: str = "application/json"
    traceparent: str | None = Field(
        None, pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
    )
    data: dict[str, Any]
    llwybrsig: str | None = Field(
        None,
        description="JWS with detached payload (EdDSA, kid = producing service) over the "
        "canonical JSON of this envelope without llwybrsig",
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


class EnvelopeError(ValueError):
    """A message that is not a valid event of the catalogue; the reason names the field."""


def wrap(
    event: Event,
    *,
    event_id: str,
    source: str,
    subject: str,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id,
        source=source,
        type=event.cloudevent_type(),
        subject=subject,
        time=time or now_utc(),
        traceparent=traceparent,
        data=event.model_dump(mode="json"),
    )


def unwrap(raw: bytes | str) -> tuple[CloudEvent, Event]:
    """Parse and validate an envelope and its payload, or raise EnvelopeError with the reason."""
    from pydantic import ValidationError

    from llwybr_contracts.events import payload_class

    try:
        envelope = CloudEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise EnvelopeError(f"invalid CloudEvent envelope: {_first_error(exc)}") from exc
    cls = payload_class(envelope.type)
    if cls is None:
        raise EnvelopeError(f"unknown event type {envelope.type!r}")
    try:
        payload = cls.model_validate(envelope.data)
    except ValidationError as exc:
        raise EnvelopeError(f"invalid {cls.event_name()} payload: {_first_error(exc)}") from exc
    return envelope, payload


def _first_error(exc: Any) -> str:
    errs = exc.errors()
    if not errs:
        return str(exc)
    e = errs[0]
    loc = ".".join(str(p) for p in e.get("loc", ())) or "(root)"
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{loc}: {e.get('msg')}{more}"


from llwybr_contracts.events import Event  # noqa: E402  (events imports nothing from here)
