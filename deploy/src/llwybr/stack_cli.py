"""`llwybr up`, `down`, `status` and `restart`: the command-line face of `llwybr.stack`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from llwybr.components import BY_NAME, INFRA, MAX_WORKERS, worker_replicas
from llwybr.stack import (
    COMPONENT_TIMEOUT,
    ComponentFailed,
    Stack,
    StackError,
    log_tail,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser("up", help="start the whole embedded stack")
    _home(up)
    up.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="N",
        help="put every port at N + a fixed offset (default: the usual fixed ports)",
    )
    up.add_argument(
        "--detach", action="store_true", help="return once everything is healthy (CI, tests)"
    )
    up.add_argument(
        "--timeout",
        type=float,
        default=COMPONENT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long services may take to answer /healthz (default {COMPONENT_TIMEOUT:g})",
    )
    up.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="workflow worker processes polling the journey's task queue, each on its own "
        f"port (default 1; e.g. one per core; at most {MAX_WORKERS})",
    )
    up.set_defaults(func=cmd_up)

    down = subparsers.add_parser("down", help="stop the stack `up` started")
    _home(down)
    down.set_defaults(func=cmd_down)

    status = subparsers.add_parser("status", help="every component's address and health")
    _home(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    restart = subparsers.add_parser(
        "restart", help="stop one part of a running stack and start it again, nothing else"
    )
    _home(restart)
    replicas = [c.name for c in worker_replicas(MAX_WORKERS)]
    restart.add_argument(
        "name",
        choices=[*BY_NAME, *replicas, *INFRA],
        metavar="NAME",
        help="e.g. referral, worker-2, postgres (a service sharing a process restarts with it)",
    )
    restart.set_defaults(func=cmd_restart)


def _home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("LLWYBR_HOME") or ".llwybr"),
        help="state directory (default: $LLWYBR_HOME or ./.llwybr)",
    )


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= n <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_WORKERS}, not {n}")
    return n


def _err(message: str) -> None:
    print(f"llwybr: {message}", file=sys.stderr, flush=True)


def _unhealthy(status: dict[str, Any]) -> dict[str, str]:
    return {name: v for name, v in status["health"].items() if v != "ok"}


# --------------------------------------------------------------------------- up


def cmd_up(args: argparse.Namespace) -> int:
    existing = Stack.load(args.home)
    if existing is not None:
        verdict = _existing_stack(existing)
        if verdict is not None:
            return verdict

    stack = Stack(args.home, args.port_base, component_timeout=args.timeout, workers=args.workers)
    try:
        # Every port, before anything starts: a clash must leave nothing behind.
        stack.check_ports(stack.ports_needed())
    except StackError as exc:
        _err(str(exc))
        return 1

    # SIGTERM (and SIGHUP: the terminal closed) behave like Ctrl-C, so `kill <up pid>` and
    # `down` stop everything in order; the servers live in their own sessions and would
    # otherwise outlive `up`. An inherited "ignore" (nohup; `&` for SIGINT) is respected.
    signal.signal(signal.SIGTERM, _like_ctrl_c)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _like_ctrl_c)
    began = time.monotonic()
    try:
        if not args.detach:
            stack.set_owner(os.getpid())
        # The component processes import their libraries while the servers start.
        stack.spawn_components()
        stack.start_infra()
        stack.start_components()
        stack.mark_running()
    except KeyboardInterrupt:
        _err("interrupted; stopping what was started")
        _stop(stack)
        return 130
    except ComponentFailed as exc:
        _err(str(exc))
        tail = log_tail(exc.log)
        if tail:
            print(f"--- last lines of {exc.log} ---\n{tail}\n---", file=sys.stderr)
        _err("stopping everything that was started")
        _stop(stack)
        return 1
    except StackError as exc:
        _err(str(exc))
        _stop(stack)
        return 1
    except BaseException:
        _stop(stack)
        raise

    print(f"Llwybr is up ({time.monotonic() - began:.1f} s).")
    _print_summary(stack)
    if args.detach:
        return 0
    print("Press Ctrl-C to stop everything.", flush=True)
    return _foreground(stack)


def _like_ctrl_c(signum: int, frame: FrameType | None) -> None:
    # Inside asyncio.run the SIGINT handler is asyncio's, which cancels the running waits
    # cleanly before KeyboardInterrupt; raising it from here would tear through the loop.
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not signal.default_int_handler:
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def _existing_stack(existing: Stack) -> int | None:
    """Deal with a stack.json already in the home; None means carry on starting."""
    if not existing.live_processes():
        existing.forget()  # a stack that crashed or was killed: nothing of it is left
        return None
    owner = existing.owner()
    if existing.record.get("state") != "running":
        who = f" (pid {owner.pid})" if owner else ""
        _err(
            f"another `llwybr up`{who} is starting or left a partial stack in {existing.home}; "
            f"run `llwybr down --home {existing.home}` first"
        )
        return 1
    status = existing.status()
    bad = _unhealthy(status)
    if bad:
        listed = ", ".join(f"{n}: {r}" for n, r in bad.items())
        _err(
            f"a stack is already running in {existing.home} but is not healthy ({listed}); "
            f"run `llwybr down --home {existing.home}` and then `llwybr up`"
        )
        return 1
    print(f"Llwybr is already running in {existing.home}; not starting another.")
    _print_summary(existing, status)
    return 0


def _print_summary(stack: Stack, status: dict[str, Any] | None = None) -> None:
    status = status or stack.status()
    rows = [
        ("Console", status["services"]["console"]),
        ("Temporal UI", status["temporal_ui"] or "(external Temporal)"),
        ("Temporal", status["temporal"]),
        ("Kafka", status["kafka"]),
        ("PostgreSQL", status["postgres"]),
        ("SMTP sink", status["smtp"]),
        ("Mail kept in", str(stack.home / "mail") if "smtp" in stack.embedded else "(external)"),
        ("Logs", status["logs"]),
    ]
    for label, value in rows:
        print(f"  {label:<13}{value}")
    owner = stack.owner()
    how = "Ctrl-C in the terminal running `llwybr up`, or " if owner else ""
    print(f"  {'Stop':<13}{how}llwybr down --home {stack.home}", flush=True)


def _foreground(stack: Stack) -> int:
    """Stay up until Ctrl-C/SIGTERM, saying when a component dies on its own."""
    reported: set[str] = set()
    try:
        while True:
            time.sleep(1.0)
            # `llwybr restart` in another terminal records new pids; stop those, not the old.
            recorded = Stack.load(stack.home)
            if recorded is not None:
                stack.record = recorded.record
            live = stack.live_processes()
            reported -= set(live)  # restarted: say so again if it stops again
            for name in stack.record["processes"]:
                if name not in live and name not in reported:
                    reported.add(name)
                    _err(f"{name} has stopped; see {stack.log_of(name)}")
    except KeyboardInterrupt:
        print("\nStopping Llwybr...", flush=True)
    _stop(stack)
    print("Stopped.")
    return 0


def _stop(stack: Stack) -> None:
    # A second Ctrl-C must not abandon half-stopped servers; every wait in stop() is bounded.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    try:
        stack.stop()
    except StackError as exc:
        _err(f"{exc}; try `llwybr down --home {stack.home}`")


# --------------------------------------------------------------------------- down


def cmd_down(args: argparse.Namespace) -> int:
    stack = Stack.load(args.home)
    if stack is None:
        print(f"No stack is running in {Path(args.home).absolute()}.")
        return 0
    owner = stack.owner()
    if owner is not None and owner.pid != os.getpid():
        # A foreground `up` owns the stack: ask it to stop, so it exits cleanly too.
        owner.terminate()
        deadline = time.monotonic() + 60
        while stack.record_path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not stack.record_path.exists():
            print("Stopped.")
            return 0
        _err(f"`llwybr up` (pid {owner.pid}) did not stop in time; stopping by recorded pids")
        stack = Stack.load(args.home) or stack
    try:
        stack.stop()
    except StackError as exc:
        _err(str(exc))
        return 1
    print("Stopped.")
    return 0


# --------------------------------------------------------------------------- restart


def cmd_restart(args: argparse.Namespace) -> int:
    stack = Stack.load(args.home)
    if stack is None:
        _err(f"no stack is running in {Path(args.home).absolute()}")
        return 1
    began = time.monotonic()
    others = [n for n in stack.hosted_with(args.name) if n != args.name]
    try:
        stack.restart(args.name)
    except ComponentFailed as exc:
        _err(str(exc))
        tail = log_tail(exc.log)
        if tail:
            print(f"--- last lines of {exc.log} ---\n{tail}\n---", file=sys.stderr)
        return 1
    except StackError as exc:
        _err(str(exc))
        return 1
    sharing = f" with {', '.join(others)}, which share its process" if others else ""
    print(f"{args.name} restarted{sharing} ({time.monotonic() - began:.1f} s).")
    return 0


# --------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    stack = Stack.load(args.home)
    if stack is None:
        message = f"no stack is running in {Path(args.home).absolute()}"
        if args.json:
            print(json.dumps({"error": message, "services": {}, "health": {}}))
        else:
            _err(message)
        return 1
    status = stack.status()
    if args.json:
        print(json.dumps(status, indent=2))
        return 1 if _unhealthy(status) else 0
    addresses: dict[str, str] = {**status["services"]}
    for name in stack.components:
        addresses.setdefault(name, stack.url_of(name))
    for name in ("temporal", "kafka", "postgres", "smtp"):
        addresses[name] = status[name] or ""
    width = max(map(len, addresses))
    for name, health in status["health"].items():
        print(
            f"{name:<{width}}  {health if health == 'ok' else 'DOWN: ' + health:<10}  "
            f"{addresses.get(name, '')}"
        )
    print(f"{'temporal UI':<{width}}  {'':<10}  {status['temporal_ui'] or '(external)'}")
    print(f"{'logs':<{width}}  {'':<10}  {status['logs']}")
    return 1 if _unhealthy(status) else 0
