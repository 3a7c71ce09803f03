"""JSON logs, one object per line, carrying the trace and span ids; every line a process writes.

Libraries bring their own text formats: FastStream colours its lines (its `faststream` logger
and the broker's access logger `faststream.access.kafka`, each with a handler of its own that
does not propagate), uvicorn's default configuration colours `uvicorn.error` (and its access
log, which stays off), and Python prints warnings and uncaught exceptions as plain text.
The Temporal SDK's Rust core prints its own warnings straight to stderr unless they are
forwarded to a Python logger. `setup_logging` routes all of them through the one JSON formatter, so a log collector reads
every line of a service's output as an object and never meets an escape code.

Log ids and codes only: a record never holds a name, a date of birth or free text
(docs/rules.md#privacy).
"""

import json
import logging
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO

from opentelemetry import trace

_RESERVED = {*vars(logging.makeLogRecord({})), "color_message"}

# Loggers that must not keep a handler or a format of their own.
_PROPAGATING = ("uvicorn", "uvicorn.error", "faststream")
# uvicorn's access log names each request with its query string, i.e. parameter values, which
# never go in a log (docs/rules.md#privacy); requests are traced as spans instead.
_SILENT = ("uvicorn.access",)
# FastStream builds this one when a broker starts, adding its coloured handler on stdout unless
# a handler on stdout is already there; ours is, so FastStream keeps it (and it does not propagate).
_FASTSTREAM_ACCESS = "faststream.access.kafka"
# Libraries' chatter stays at warning. aiosmtpd's `mail.log` would name mail addresses at info.
_QUIET = ("aiokafka", "temporalio", "sqlalchemy.engine", "alembic", "mail.log")

# The service a line belongs to when one process hosts several (embedded mode's shared host,
# `llwybr.host`): each hosted service runs in a context carrying its name, and its lines go to
# its own `<dir>/<service>.log`. A process running one service leaves both unset.
CURRENT_SERVICE: ContextVar[str | None] = ContextVar("llwybr_service", default=None)
_hosted_log_dir: Path | None = None


def log_each_service_to(directory: Path | None) -> None:
    """Write each hosted service's lines to `directory/<service>.log` (None: back to stderr)."""
    global _hosted_log_dir
    _hosted_log_dir = directory


def log_object(
    service: str, logger: str, message: str, *, level: str = "info", created: float | None = None
) -> dict[str, object]:
    """The fields every JSON log line starts with (also for lines written outside `logging`)."""
    when = datetime.fromtimestamp(created, UTC) if created is not None else datetime.now(UTC)
    return {
        "time": when.isoformat(),
        "level": level,
        "service": service,
        "logger": logger,
        "message": message,
    }


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        out = log_object(
            CURRENT_SERVICE.get() or self._service,
            record.name,
            record.getMessage(),
            level=record.levelname.lower(),
            created=record.created,
        )
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            out["trace_id"] = format(ctx.trace_id, "032x")
            out["span_id"] = format(ctx.span_id, "016x")
        out.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def _json_handler(service: str, stream: TextIO) -> logging.Handler:
    handler: logging.Handler
    if _hosted_log_dir is not None:
        handler = _PerServiceFiles(_hosted_log_dir, stream)
    else:
        handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service))
    return handler


class _PerServiceFiles(logging.Handler):
    """A line goes to its service's file; a line of no service (the host's own) to `stream`."""

    def __init__(self, directory: Path, stream: TextIO) -> None:
        super().__init__()
        self._directory = directory
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            service = CURRENT_SERVICE.get()
            with _files_lock:  # one lock for every handler: lines never interleave
                out = self._stream if service is None else self._file(service)
                out.write(line)
                out.flush()
        except Exception:
            self.handleError(record)

    def _file(self, service: str) -> TextIO:
        # Shared by every handler setup_logging makes (it runs once per hosted service).
        if service not in _files:
            _files[service] = (self._directory / f"{service}.log").open("a", encoding="utf-8")
        return _files[service]


_files: dict[str, TextIO] = {}
_files_lock = threading.Lock()


def setup_logging(service: str, level: str = "INFO") -> None:
    """Make every line this process logs a JSON object (idempotent; call once at start)."""
    # FastStream installs its coloured handler on import; import first, then replace it.
    import faststream  # noqa: F401

    root = logging.getLogger()
    root.handlers[:] = [_json_handler(service, sys.stderr)]
    root.setLevel(level)
    for name in _PROPAGATING:
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    for name in _SILENT:
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = False
    access = logging.getLogger(_FASTSTREAM_ACCESS)
    access.handlers[:] = [_json_handler(service, sys.stdout)]
    access.propagate = False
    for name in _QUIET:
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
        lg.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    _forward_temporal_core_logs()
    _log_uncaught_exceptions()


def _forward_temporal_core_logs() -> None:
    """Temporal's core logs through `temporalio.core` (before any client exists; a process that
    already made one keeps the runtime it has)."""
    from temporalio.runtime import (
        LogForwardingConfig,
        LoggingConfig,
        Runtime,
        TelemetryConfig,
        TelemetryFilter,
    )

    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding
    )
    try:
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=config)))
    except RuntimeError:
        pass  # a default runtime is already in use


def _log_uncaught_exceptions() -> None:
    """A crash's traceback becomes one JSON line too, not plain text on stderr."""
    crash = logging.getLogger("llwybr.crash")

    def main_thread(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        crash.critical("uncaught exception", exc_info=(kind, value, tb))

    def other_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        crash.critical(
            "uncaught exception in a thread",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = main_thread
    threading.excepthook = other_thread
