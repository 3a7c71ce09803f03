"""`llwybr replay --since TIME`: re-send retained outbox events (see llwybr.replay)."""

import argparse
import os
import sys
from pathlib import Path

from llwybr.replay import parse_since, replay
from llwybr.stack import Stack, create_topics, run_sync


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="re-send retained outbox events (after a dev broker restart)",
        description=(
            "Recreate the topics, then queue every outbox event written since TIME to be sent "
            "again by its service's relay. Consumers ignore events they already handled."
        ),
    )
    p.add_argument("--since", required=True, metavar="TIME", help="ISO date/time or 30m, 2h, 7d")
    p.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"llwybr replay: {exc}", file=sys.stderr)
        return 2
    database_url = os.environ.get("LLWYBR_DATABASE_URL", "")
    kafka = os.environ.get("LLWYBR_KAFKA_BOOTSTRAP", "")
    stack = Stack.load(args.home)
    endpoints = stack.endpoints if stack else None
    if endpoints:
        database_url = database_url or endpoints.database_url
        kafka = kafka or endpoints.kafka
    if not database_url or not kafka:
        print(
            f"llwybr replay: no running stack under {args.home} and LLWYBR_DATABASE_URL / "
            "LLWYBR_KAFKA_BOOTSTRAP are not set",
            file=sys.stderr,
        )
        return 1
    created = run_sync(create_topics(kafka))
    if created:
        print(f"recreated {len(created)} topics on {kafka}")
    counts = run_sync(replay(database_url, since))
    for schema, n in counts.items():
        print(f"{schema}: {n} events queued to send again")
    print(f"{sum(counts.values())} events since {since.isoformat()} will be re-sent by the relays")
    return 0
