"""Bench: how long `llwybr up` takes to be healthy and how much memory the stack then holds.

    .venv/bin/python bench/stack_footprint.py [--runs 1] [--workers 1] [--settle 5] [--no-baseline]

Starts a whole embedded stack in a temporary home on free ports the way `llwybr up --detach`
does (component processes first, importing while the infrastructure starts; the services that
own little sharing one process), times the infrastructure and each component until healthy,
waits `--settle` seconds, then reads every recorded process's tree (a PostgreSQL backend per
pooled connection belongs to the postmaster's tree): process count, RSS and PSS (PSS shares
each page among the processes that map it, so the PSS column adds up to what the stack holds).

Baselines measured in the same run, printed as ratios:
- the stack as it was started before: every component a process of its own
  (LLWYBR_SHARED_HOST=0), started only once the infrastructure answers;
- one bare interpreter importing what every service imports, the floor for any component.

Not a test: nothing is asserted. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from llwybr.components import PORT_SPAN
from llwybr.stack import Stack, free_port_base

MB = 1024 * 1024


def tree_memory(proc: psutil.Process) -> tuple[int, int, int]:
    """(processes, RSS, PSS) of `proc` and everything below it."""
    count = rss = pss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        count += 1
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return count, rss, pss


def footprint(stack: Stack) -> dict[str, tuple[int, int, int]]:
    """Per recorded process (a shared host listed once, under the names it hosts)."""
    by_pid: dict[int, list[str]] = {}
    procs: dict[int, psutil.Process] = {}
    for name, proc in stack.live_processes().items():
        by_pid.setdefault(proc.pid, []).append(name)
        procs[proc.pid] = proc
    return {"+".join(names): tree_memory(procs[pid]) for pid, names in by_pid.items()}


def baseline() -> tuple[float, int]:
    """Seconds and RSS of one interpreter importing what every service imports."""
    code = (
        "import resource, llwybr_common.runtime, faststream.kafka, temporalio.client;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.monotonic() - began, int(out.stdout.strip()) * 1024


def one_run(workers: int, settle: float, *, shared: bool = True) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="llwybr-bench-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLWYBR_")}
        healthy: dict[str, float] = {}
        began = time.monotonic()

        def say(message: str) -> None:
            name = message.split(" ", 1)[0]
            if "healthy" in message:
                healthy[name] = time.monotonic() - began

        base = free_port_base(span=PORT_SPAN + workers - 1)
        stack = Stack(
            Path(home),
            base,
            environ=env,
            say=say,
            workers=workers,
            shared=shared,
            component_timeout=300,  # a busy machine: measure, never give up at 90 s
        )
        try:
            if shared:  # as `llwybr up` does; the baseline starts them after the infrastructure
                stack.spawn_components()
            stack.start_infra()
            infra = time.monotonic() - began
            stack.start_components()
            total = time.monotonic() - began
            time.sleep(settle)
            memory = footprint(stack)
        finally:
            stack.stop()
    return {"infra": infra, "total": total, "healthy": healthy, "memory": memory}


def report(title: str, got: dict[str, object], base_s: float) -> tuple[float, int, int]:
    infra, total = float(got["infra"]), float(got["total"])  # type: ignore[arg-type]
    print(
        f"\n{title}: healthy in {total:.1f} s (infrastructure {infra:.1f} s), "
        f"{total / base_s:.1f}x the bare import"
    )
    healthy: dict[str, float] = got["healthy"]  # type: ignore[assignment]
    for name, at in sorted(healthy.items(), key=lambda kv: kv[1]):
        print(f"  {name:<16} healthy at {at:5.1f} s")
    memory: dict[str, tuple[int, int, int]] = got["memory"]  # type: ignore[assignment]
    print(f"\n  {'process':<64} {'procs':>5} {'RSS MB':>7} {'PSS MB':>7}")
    for name, (count, rss, pss) in sorted(memory.items(), key=lambda kv: -kv[1][2]):
        print(f"  {name:<64} {count:>5} {rss / MB:>7.0f} {pss / MB:>7.0f}")
    count = sum(c for c, _, _ in memory.values())
    rss = sum(r for _, r, _ in memory.values())
    pss = sum(p for _, _, p in memory.values())
    print(f"  {'total':<64} {count:>5} {rss / MB:>7.0f} {pss / MB:>7.0f}")
    return total, rss, pss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the one-process-per-component stack"
    )
    args = parser.parse_args()

    base_s, base_rss = baseline()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    print(
        f"bare interpreter importing the service runtime: {base_s:.2f} s, "
        f"{base_rss / MB:.0f} MB RSS"
    )
    for run in range(1, args.runs + 1):
        print(f"--- run {run}/{args.runs}: the stack as `llwybr up` starts it", file=sys.stderr)
        total, rss, pss = report("llwybr up", one_run(args.workers, args.settle), base_s)
        if args.no_baseline:
            continue
        print(f"--- run {run}/{args.runs}: every component alone (baseline)", file=sys.stderr)
        alone = one_run(args.workers, args.settle, shared=False)
        b_total, b_rss, b_pss = report("baseline, every component alone", alone, base_s)
        print(
            f"\nratios up/baseline: time {total / b_total:.2f}, RSS {rss / b_rss:.2f}, "
            f"PSS {pss / b_pss:.2f}"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
