"""Fast checks of the stack's pure parts: port plans, free-port search, messages."""

import socket
from pathlib import Path
from typing import Any

import pytest

from llwybr.cli import build_parser
from llwybr.components import BY_NAME, MAX_WORKERS, PORT_SPAN, PORTS, SERVICES, SHARED, port_plan
from llwybr.provision import _snake
from llwybr.stack import PortInUse, Stack, _mask, free_port_base, port_free

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


def test_extra_workers_get_ports_of_their_own_after_the_block() -> None:
    plan = port_plan(30000, workers=3)
    assert plan["worker-2"] == 30000 + PORT_SPAN and plan["worker-3"] == 30000 + PORT_SPAN + 1
    assert len(set(plan.values())) == len(plan)
    defaults = port_plan(workers=3)
    assert len(set(defaults.values())) == len(defaults)
    assert "worker-2" not in port_plan(30000)


def _stack(tmp_path: Path, **kwargs: Any) -> Stack:
    stack = Stack(tmp_path, 30000, environ={}, say=lambda _: None, **kwargs)
    stack.record["endpoints"] = {
        "database_url": "postgresql+asyncpg://postgres@/llwybr?host=/s",
        "temporal": "127.0.0.1:30000",
        "temporal_ui": None,
        "kafka": "127.0.0.1:30004",
        "smtp": "127.0.0.1:30005",
    }
    return stack


def test_services_that_own_little_share_a_process_and_the_rest_run_alone(tmp_path: Path) -> None:
    stack = _stack(tmp_path, workers=2)
    groups = stack._groups(list(stack.components))
    assert [g for g in groups if len(g) > 1] == [list(SHARED)]
    alone = {g[0] for g in groups if len(g) == 1}
    # Intake and every worker keep a process each; production's manifests are untouched.
    assert alone == {"referral", "worker", "worker-2"}
    assert stack.hosted_with("notifications") == list(SHARED)
    assert stack.hosted_with("referral") == ["referral"]
    one_each = _stack(tmp_path, shared=False)
    assert all(len(g) == 1 for g in one_each._groups(list(one_each.components)))


def test_each_shared_service_keeps_its_own_port_role_key_and_name(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    envs = {name: stack.component_env(name) for name in SHARED}
    assert len({e["LLWYBR_HTTP_PORT"] for e in envs.values()}) == len(SHARED)
    assert len({e["LLWYBR_EVENT_SIGNING_KEY"] for e in envs.values()}) == len(SHARED)
    assert envs["notifications"]["LLWYBR_SERVICE"] == "notifications"
    assert envs["notifications"]["LLWYBR_DATABASE_URL"].startswith(
        "postgresql+asyncpg://notifications_app@"
    )


def test_a_worker_replica_is_the_worker_service_on_another_port(tmp_path: Path) -> None:
    stack = _stack(tmp_path, workers=2)
    first, second = stack.component_env("worker"), stack.component_env("worker-2")
    assert second["LLWYBR_SERVICE"] == "worker"
    assert second["LLWYBR_EVENT_SIGNING_KEY"] == first["LLWYBR_EVENT_SIGNING_KEY"]
    assert second["LLWYBR_DATABASE_URL"] == first["LLWYBR_DATABASE_URL"]
    assert second["LLWYBR_HTTP_PORT"] == str(30000 + PORT_SPAN) != first["LLWYBR_HTTP_PORT"]


def test_up_workers_must_be_a_sensible_count() -> None:
    parser = build_parser("up")
    assert parser.parse_args(["up", "--workers", "2"]).workers == 2
    assert parser.parse_args(["up"]).workers == 1
    for bad in ("0", "x", str(MAX_WORKERS + 1)):
        with pytest.raises(SystemExit):
            parser.parse_args(["up", "--workers", bad])
