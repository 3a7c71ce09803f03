"""CPU time of a running stack's processes, for the benches that say where the time goes."""

import psutil

from llwybr.stack import Stack


def tree_cpu(proc: psutil.Process) -> float:
    """CPU seconds (user + system) so far of `proc` and everything below it."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def cpu_by_process(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each recorded process (a shared host under the names it hosts,
    joined by '+'), with its children (PostgreSQL's backends)."""
    procs: dict[int, tuple[list[str], psutil.Process]] = {}
    for name, proc in stack.live_processes().items():
        procs.setdefault(proc.pid, ([], proc))[0].append(name)
    return {"+".join(names): tree_cpu(proc) for names, proc in procs.values()}
