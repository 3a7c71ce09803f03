"""`llwybr bench NAME [ARGS...]`: run one of the benchmarks in bench/ (each prints its figures
beside a baseline measured in the same run, as ratios; none asserts a time)."""

import argparse
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[3] / "bench"
BENCHES = {
    "clock": "clock_recompute.py",  # 100,000 clocks recomputed after a calendar change
    "intake": "intake.py",  # POST /referrals to 201 beside plain start and update-with-start
    "pipeline": "skeleton_latency.py",  # intake latency, referral to notification
    "journey": "journey_timers.py",  # open journeys holding live timers on the dev server
    "recompute": "journey_recompute.py",  # 10,000 journeys recomputed after CalendarChanged
    "health-inbox": "health_inbox.py",  # DECLO inbox paging at 200,000 requests
    "stack": "stack_footprint.py",  # `llwybr up` time to healthy, processes, RSS and PSS
}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="run a benchmark from bench/ (figures and ratios)")
    p.add_argument("name", choices=sorted(BENCHES))
    p.add_argument("args", nargs=argparse.REMAINDER, help="passed to the benchmark")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    script = BENCH_DIR / BENCHES[args.name]
    if not script.exists():
        print(
            f"llwybr bench: {script} is not here (bench/ ships with the repository)",
            file=sys.stderr,
        )
        return 2
    return subprocess.call([sys.executable, str(script), *args.args])
