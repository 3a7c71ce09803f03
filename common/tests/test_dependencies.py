"""Which failures a consumer waits out (a dependency is down) and which spend its poison budget."""

import pytest
from sqlalchemy import exc as sa_exc
from temporalio.service import RPCError, RPCStatusCode

from llwybr_common.dependencies import DependencyUnavailable, unavailable_dependency

pytestmark = pytest.mark.unit


def _wrapped(inner: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("while starting the journey") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""), "temporal"),
        (RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""), "temporal"),
        (sa_exc.OperationalError("SELECT 1", {}, OSError("gone")), "postgres"),
        (sa_exc.InterfaceError("SELECT 1", {}, OSError("closed")), "postgres"),
        (ConnectionRefusedError(111, "refused"), "network"),
        (DependencyUnavailable("referral", "HTTP 503"), "referral"),
        (_wrapped(RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b"")), "temporal"),
        # The message's own fault: these spend attempts and end in the dead-letter topic.
        (RPCError("not found", RPCStatusCode.NOT_FOUND, b""), None),
        (RPCError("bad input", RPCStatusCode.INVALID_ARGUMENT, b""), None),
        (sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate")), None),
        (ValueError("no route for this authority"), None),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_outages_are_told_from_bad_messages(error: BaseException, dependency: str | None) -> None:
    assert unavailable_dependency(error) == dependency
