"""Every line a service logs is one JSON object with no terminal colour codes, whichever library
wrote it: FastStream's broker, uvicorn (even after its own colourful default configuration),
Python warnings and our own code; uvicorn's access log, which would carry query strings, stays
off."""

import json
import logging
import warnings
from collections.abc import Iterator

import pytest
import uvicorn
from faststream.kafka import KafkaBroker, TestKafkaBroker
from uvicorn.config import LOGGING_CONFIG

from llwybr_common.logs import setup_logging

pytestmark = pytest.mark.unit

_TOUCHED = (
    "",
    "faststream",
    "faststream.access.kafka",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "aiokafka",
    "py.warnings",
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    saved = {
        name: (lg.handlers[:], lg.level, lg.propagate)
        for name in _TOUCHED
        for lg in [logging.getLogger(name)]
    }
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for name, (handlers, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate


def _objects(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    for line in lines:
        assert "\x1b" not in line, f"escape code in {line!r}"
    return [json.loads(line) for line in lines]


async def test_every_library_line_is_json_without_colour(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    # uvicorn's own default configuration first (coloured handlers), as `uvicorn app:app` would.
    uvicorn.Config(app="x:y", log_config=LOGGING_CONFIG, use_colors=True)
    setup_logging("referral")

    broker = KafkaBroker("127.0.0.1:9092")
    seen: list[str] = []

    @broker.subscriber("aln.referral.v1", group_id="log-test")
    async def handle(body: dict[str, str]) -> None:
        seen.append(body["case_id"])

    # Starting a broker (the test broker too) builds FastStream's access logger.
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"case_id": "c-1"}, topic="aln.referral.v1")
    assert seen == ["c-1"]
    # What the broker logs around each message, through its own logger state and filter.
    context = {"topic": "aln.referral.v1", "group_id": "log-test", "message_id": "0-1795"}
    broker.config.logger.log("Received", extra=context)
    broker.config.logger.log("Processed", extra=context)

    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    # An access line would carry the query string: parameter values never reach a log.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/api/v1/cases?q=Jones", "1.1", 200
    )
    logging.getLogger("aiokafka").warning("Heartbeat failed for group %s", "log-test")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("an old call", DeprecationWarning, stacklevel=1)

    captured = capsys.readouterr()
    objects = _objects(captured.out + captured.err)
    by_logger = {str(o["logger"]) for o in objects}
    assert {"faststream.access.kafka", "uvicorn.error", "aiokafka"} <= by_logger
    assert "uvicorn.access" not in by_logger and "Jones" not in captured.out + captured.err
    assert "py.warnings" in by_logger
    assert all(o["service"] == "referral" for o in objects)
    access = [o for o in objects if o["logger"] == "faststream.access.kafka"]
    assert {o["message"] for o in access} >= {"Received", "Processed"}
    assert all(o["topic"] == "aln.referral.v1" and o["group_id"] == "log-test" for o in access)


def test_an_uncaught_exception_is_one_json_line(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    import sys

    hook = sys.excepthook
    try:
        setup_logging("worker")
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = hook
    (crash,) = _objects(capsys.readouterr().err)
    assert crash["level"] == "critical"
    assert "RuntimeError: boom" in str(crash["error"])
