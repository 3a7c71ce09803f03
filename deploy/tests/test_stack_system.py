"""`llwybr up / status / down` on real processes, on free ports, in temporary homes.

One detached stack is shared by the first tests of this module (its last test takes it down);
the foreground and busy-port cases use stacks of their own. Every fixture stops, by the pids it
recorded, whatever it started, even when a test fails.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from llwybr.components import BY_NAME, PORTS, SERVICES
from llwybr.stack import Stack, free_port_base

pytestmark = pytest.mark.system

# The CLI's own module rather than the console script: `./llwybr` re-syncs .venv when the lock
# changes, and the script file briefly disappears while another run of the suite reinstalls.
LLWYBR = [sys.executable, "-m", "llwybr.cli"]
INFRA_HEALTH = ("temporal", "kafka", "postgres", "smtp")


def _env() -> dict[str, str]:
    # A developer's LLWYBR_* endpoints must never leak into a test stack.
    return {k: v for k, v in os.environ.items() if not k.startswith("LLWYBR_")}


def llwybr(*args: object, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LLWYBR, *map(str, args)], env=_env(), capture_output=True, text=True, timeout=timeout
    )


def _pids(home: Path) -> list[dict[str, Any]]:
    record = json.loads((home / "stack.json").read_text())
    return list(record["processes"].values())


def _alive(entry: dict[str, Any]) -> bool:
    try:
        proc = psutil.Process(entry["pid"])
        same = abs(proc.create_time() - entry["started"]) < 0.01
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cleanup(home: Path) -> None:
    """Safety net after `down`: stop whatever the home still records (our pids only)."""
    try:
        llwybr("down", "--home", home, timeout=90)
    finally:
        # Even when the CLI itself cannot run, the recorded pids are stopped in-process.
        leftover = Stack.load(home)
        if leftover is not None:
            leftover.stop()


@dataclass
class Running:
    home: Path
    base: int
    up: subprocess.CompletedProcess[str]
    seconds: float


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    home = tmp_path_factory.mktemp("stack")
    base = free_port_base()
    began = time.monotonic()
    try:
        up = llwybr("up", "--detach", "--home", home, "--port-base", base)
        seconds = time.monotonic() - began
        assert up.returncode == 0, f"up failed:\n{up.stdout}\n{up.stderr}"
        print(f"\n`llwybr up --detach` took {seconds:.1f} s")
        yield Running(home, base, up, seconds)
    finally:
        _cleanup(home)


def test_up_detach_prints_where_things_are(running: Running) -> None:
    out = running.up.stdout
    console = f"http://127.0.0.1:{running.base + PORTS['console'][1]}"
    assert console in out
    assert f"http://127.0.0.1:{running.base + PORTS['temporal_ui'][1]}" in out
    assert f"127.0.0.1:{running.base + PORTS['kafka'][1]}" in out
    assert str(running.home / "logs") in out
    assert "llwybr down" in out


def test_status_json_reports_every_component_ok(running: Running) -> None:
    result = llwybr("status", "--json", "--home", running.home)
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout)
    assert set(status["services"]) == set(SERVICES)
    assert status["services"]["health-liaison"] == (
        f"http://127.0.0.1:{running.base + PORTS['health-liaison'][1]}"
    )
    assert status["health"] == {name: "ok" for name in [*BY_NAME, *INFRA_HEALTH]}
    assert status["temporal"] == f"127.0.0.1:{running.base}"
    assert status["kafka"] == f"127.0.0.1:{running.base + PORTS['kafka'][1]}"
    assert status["postgres"].startswith("postgresql+asyncpg://postgres@/llwybr?host=/")
    assert status["smtp"] == f"127.0.0.1:{running.base + PORTS['smtp'][1]}"
    assert status["temporal_ui"].startswith("http://127.0.0.1:")
    assert status["logs"] == str(running.home / "logs")


def test_smtp_sink_keeps_mail_on_disk(running: Running) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@llwybr.test", "b@x.test", "Prawf"
    message.set_content("Helo")
    with smtplib.SMTP("127.0.0.1", running.base + PORTS["smtp"][1], timeout=10) as smtp:
        smtp.send_message(message)
    files = list((running.home / "mail").glob("*.eml"))
    assert len(files) == 1 and "Subject: Prawf" in files[0].read_text()


def _non_json_lines(log: Path) -> list[str]:
    bad = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ok = isinstance(json.loads(line), dict) and "\x1b" not in line
        except ValueError:
            ok = False
        if not ok:
            bad.append(line)
    return bad


def test_every_line_each_python_process_logs_is_json(running: Running) -> None:
    """After a referral travels (so every consumer logs the messages it handles), each line of
    each service's, the worker's, the bridge's and the SMTP sink's log is one JSON object with no
    terminal escape codes."""
    token = llwybr(
        "dev-token", "--role", "la-officer", "--scope", "W06000015", "--home", running.home
    )
    assert token.returncode == 0, token.stderr
    referral = {
        "source": "school",
        "received_on": "2026-11-20",
        "learner": {
            "given_name": "Cai",
            "family_name": "Jones",
            "date_of_birth": "2017-05-02",
            "preferred_language": "cy",
        },
        "authority": "W06000015",
        "school": {"name": "Ysgol Enghraifft", "ref": "6812345"},
        "concern": "Reading well below age",
        "referrer": {"name": "A. ALNCo", "role": "ALNCo"},
    }
    url = f"http://127.0.0.1:{running.base + PORTS['referral'][1]}/api/v1/referrals"
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
    assert httpx.post(url, json=referral, headers=headers, timeout=30).status_code == 201
    logs = running.home / "logs"
    # notifications logs each journey event it handles once the journey has started.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and '"Processed"' not in (
        logs / "notifications.log"
    ).read_text(encoding="utf-8"):
        time.sleep(0.5)
    assert '"Processed"' in (logs / "notifications.log").read_text(encoding="utf-8")
    for name in [*BY_NAME, "smtp"]:
        log = logs / f"{name}.log"
        assert log.stat().st_size > 0, f"{name} wrote nothing"
        assert _non_json_lines(log) == [], f"{log} has lines that are not JSON objects"


def test_second_up_notices_the_running_stack(running: Running) -> None:
    before = _pids(running.home)
    again = llwybr("up", "--detach", "--home", running.home, "--port-base", running.base)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert _pids(running.home) == before  # nothing new started, nothing replaced


def _record(home: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads((home / "stack.json").read_text())["processes"])


def test_restart_replaces_one_service_and_nothing_else(running: Running) -> None:
    before = _record(running.home)
    result = llwybr("restart", "referral", "--home", running.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "referral restarted" in result.stdout
    after = _record(running.home)
    assert after["referral"]["pid"] != before["referral"]["pid"]
    assert _alive(after["referral"]) and not _alive(before["referral"])
    assert {n: e for n, e in after.items() if n != "referral"} == {
        n: e for n, e in before.items() if n != "referral"
    }
    # The new process serves (a generous timeout: `status` probes allow 3 s, too few on a busy CI).
    url = f"http://127.0.0.1:{running.base + PORTS['referral'][1]}/healthz"
    assert httpx.get(url, timeout=30).json() == {"status": "ok", "service": "referral"}


def test_restart_postgres_and_the_services_reconnect_by_themselves(running: Running) -> None:
    services = {n: e for n, e in _record(running.home).items() if n in BY_NAME}
    result = llwybr("restart", "postgres", "--home", running.home)
    assert result.returncode == 0, result.stdout + result.stderr
    ready = f"http://127.0.0.1:{running.base + PORTS['referral'][1]}/readyz"
    deadline = time.monotonic() + 30
    while (answer := httpx.get(ready, timeout=5)).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.5)
    assert {n: e for n, e in _record(running.home).items() if n in BY_NAME} == services


def test_restart_of_an_unknown_part_says_what_is_known(running: Running) -> None:
    result = llwybr("restart", "referal", "--home", running.home)
    assert result.returncode == 2
    assert "invalid choice: 'referal'" in result.stderr and "referral" in result.stderr


def test_down_stops_every_process_it_started(running: Running) -> None:
    pids = _pids(running.home)
    assert all(_alive(p) for p in pids)
    result = llwybr("down", "--home", running.home)
    assert result.returncode == 0, result.stderr
    assert not (running.home / "stack.json").exists()
    assert not any(_alive(p) for p in pids)
    after = llwybr("status", "--json", "--home", running.home)
    assert after.returncode != 0


def test_up_with_a_busy_port_names_it_and_starts_nothing(tmp_path: Path) -> None:
    base = free_port_base()
    port = base + PORTS["notifications"][1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        try:
            result = llwybr("up", "--detach", "--home", tmp_path, "--port-base", base, timeout=60)
        finally:
            _cleanup(tmp_path)
    assert result.returncode != 0
    assert f"{port} (notifications)" in result.stderr
    assert not (tmp_path / "stack.json").exists()
    assert not (tmp_path / "postgres").exists()
    procs = psutil.process_iter(["cmdline"])
    assert not [p for p in procs if str(tmp_path) in " ".join(p.info["cmdline"] or [])]


def test_down_stops_a_foreground_up_even_while_it_starts(tmp_path: Path) -> None:
    """`down` asks the foreground `up` (recorded as owner) to stop; `up` handles it like Ctrl-C,
    here mid-start, the hardest moment: whatever was started so far is stopped, nothing leaks.
    (Stopping it once it is fully up takes the same path; a second full stack would double the
    module's runtime.)"""
    base = free_port_base()
    out = tmp_path / "up.out"
    with out.open("w") as log:
        up = subprocess.Popen(
            [*LLWYBR, "up", "--home", str(tmp_path), "--port-base", str(base)],
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and up.poll() is None:
            stack = Stack.load(tmp_path)
            if stack and stack.owner() and {"postgres", "temporal"} <= set(stack.live_processes()):
                break
            time.sleep(0.1)
        assert up.poll() is None, out.read_text()
        pids = _pids(tmp_path)
        result = llwybr("down", "--home", tmp_path)
        assert result.returncode == 0, result.stderr
        assert up.wait(timeout=60) in (0, 130)  # 130: interrupted while starting
        assert not any(_alive(p) for p in [*pids, *_pids_if_any(tmp_path)])
        assert not (tmp_path / "stack.json").exists()
        assert "stopping what was started" in out.read_text() or "Stopping" in out.read_text()
    finally:
        if up.poll() is None:
            up.terminate()
            up.wait(timeout=60)
        _cleanup(tmp_path)


def _pids_if_any(home: Path) -> list[dict[str, Any]]:
    return _pids(home) if (home / "stack.json").exists() else []
