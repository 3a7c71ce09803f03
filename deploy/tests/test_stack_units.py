"""Fast checks of the stack's pure parts: port plans, free-port search, messages."""

import socket

import pytest

from llwybr.components import BY_NAME, PORT_SPAN, PORTS, SERVICES, port_plan
from llwybr.provision import _snake
from llwybr.stack import PortInUse, _mask, free_port_base, port_free

pytestmark = pytest.mark.unit


def test_every_service_folder_has_a_component_and_a_port() -> None:
    assert set(SERVICES) <= set(BY_NAME)
    assert BY_NAME["health-liaison"].module == "health_liaison"
    assert BY_NAME["worker"].module == "llwybr_workflows.worker"
    assert set(BY_NAME) <= set(PORTS)


def test_port_plans_never_reuse_a_port() -> None:
    defaults = port_plan()
    assert defaults["temporal"] == 7233 and defaults["kafka"] == 9092
    based = port_plan(30000)
    assert len(set(defaults.values())) == len(defaults)
    assert len(set(based.values())) == len(based)
    assert min(based.values()) == 30000 and max(based.values()) < 30000 + PORT_SPAN


def test_free_port_base_gives_a_free_block_and_a_bound_port_is_busy() -> None:
    base = free_port_base()
    assert all(port_free(base + i) for i in range(PORT_SPAN))
    with socket.socket() as s:
        s.bind(("127.0.0.1", base))
        assert not port_free(base)


def test_messages_name_the_port_and_hide_passwords() -> None:
    message = str(PortInUse([("kafka", 9092)]))
    assert "9092 (kafka)" in message and "--port-base" in message
    assert _mask("postgresql+asyncpg://app:s3cret@db:5432/llwybr") == (
        "postgresql+asyncpg://app:***@db:5432/llwybr"
    )
    assert _mask("postgresql+asyncpg://postgres@/llwybr?host=/x") == (
        "postgresql+asyncpg://postgres@/llwybr?host=/x"
    )
    assert _snake("KeywordList") == "keyword_list" and _snake("Datetime") == "datetime"
