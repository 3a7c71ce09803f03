"""OpenTelemetry setup, once per process: OTLP/HTTP when an endpoint is configured, otherwise
spans as JSON lines in a local file (so a developer can follow a case without a collector).

Spans carry ids and codes only: never names, dates of birth or free text (docs/rules.md#privacy).
"""

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from llwybr_common.logs import CURRENT_SERVICE
from llwybr_common.settings import Settings

_provider: TracerProvider | None = None
_providers: dict[str, TracerProvider] = {}
_hosting = False


class JsonLinesSpanExporter(SpanExporter):
    """Appends one compact JSON object per finished span to a file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_as_dict(s), separators=(",", ":"), default=_plain) for s in spans]
        with self._lock, self._path.open("a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS


def _plain(value: object) -> str:
    # Kafka keys arrive as bytes; they are case ids, never personal data.
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _as_dict(span: ReadableSpan) -> dict[str, object]:
    ctx = span.context
    return {
        "name": span.name,
        "service": span.resource.attributes.get("service.name"),
        "kind": span.kind.name,
        "trace_id": format(ctx.trace_id, "032x") if ctx else None,
        "span_id": format(ctx.span_id, "016x") if ctx else None,
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "start": span.start_time,
        "end": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }


def setup_tracing(settings: Settings, service_name: str) -> TracerProvider:
    """Install the process-wide tracer provider (idempotent). A process hosting several
    services (embedded mode) gets a provider per service, so each one's spans carry its own
    `service.name`; the first is the process-wide one."""
    global _provider
    if service_name in _providers:
        return _providers[service_name]
    if _provider is not None and not _hosting:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": f"llwybr-{service_name}"}))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter: SpanExporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint)
    else:
        path = Path(settings.span_file or settings.home / "logs" / "spans.jsonl")
        exporter = JsonLinesSpanExporter(path)
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    _providers[service_name] = provider
    if _provider is None:
        trace.set_tracer_provider(provider)
        _provider = provider
    return provider


def tracer_provider() -> trace.TracerProvider:
    """The provider of the service running here: in a shared host, the one whose context this
    is (`llwybr_common.logs.CURRENT_SERVICE`); otherwise the process-wide one."""
    service = CURRENT_SERVICE.get()
    if service is not None and service in _providers:
        return _providers[service]
    return trace.get_tracer_provider()


def host_several_services() -> None:
    """This process hosts several services: give each its own tracer provider."""
    global _hosting
    _hosting = True


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, for outbox rows and envelopes."""
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context:
    return propagate.extract({"traceparent": traceparent} if traceparent else {})


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
