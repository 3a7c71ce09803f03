"""`llwybr dlq list|show|redrive TOPIC`: look at dead letters and send them again after a fix
(see llwybr.dead_letters)."""

import argparse
import json
import os
import sys
from pathlib import Path

from llwybr.dead_letters import (
    DeadLetter,
    DeadLetterError,
    dead_letter_topic,
    find,
    read_dead_letters,
    redrive,
)
from llwybr.stack import Stack, run_sync


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dlq",
        help="list, show and re-drive dead letters (<topic>.dlq)",
        description=(
            "Dead letters are messages a consumer gave up on, with headers naming its group, "
            "its attempt count and the error. After fixing the cause, `redrive` publishes them "
            "again to the topic they came from; consumers ignore events they already handled."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(name: str, help_: str) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=help_)
        a.add_argument("topic", metavar="TOPIC", help="aln.referral.v1 (or its .dlq)")
        a.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
        a.set_defaults(func=run)
        return a

    listing = common("list", "count the dead letters and show each one's headers")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    show = common("show", "one dead letter's envelope and headers")
    show.add_argument("offset", type=int, metavar="OFFSET")
    show.add_argument("--partition", type=int)
    again = common("redrive", "publish dead letters again to their original topic")
    again.add_argument("--offset", type=int, help="only this one (default: all)")
    again.add_argument("--partition", type=int)
    again.add_argument("--group", help="only those this consumer group gave up on")


def _bootstrap(home: Path) -> str:
    if kafka := os.environ.get("LLWYBR_KAFKA_BOOTSTRAP"):
        return kafka
    stack = Stack.load(home)
    endpoints = stack.endpoints if stack else None
    if endpoints is None:
        raise DeadLetterError(
            f"no running stack under {home} and LLWYBR_KAFKA_BOOTSTRAP is not set"
        )
    return endpoints.kafka


def run(args: argparse.Namespace) -> int:
    try:
        kafka = _bootstrap(args.home)
        letters = run_sync(read_dead_letters(kafka, args.topic))
        if args.action == "list":
            return _list(args, letters)
        if args.action == "show":
            d = find(letters, args.offset, args.partition)
            envelope = d.envelope()
            print(
                json.dumps(
                    {
                        "topic": d.topic,
                        "partition": d.partition,
                        "offset": d.offset,
                        "key": d.key.decode(errors="replace") if d.key else None,
                        "headers": d.headers,
                        "envelope": envelope,
                        "raw": None if envelope is not None else d.value.decode(errors="replace"),
                    },
                    indent=2,
                )
            )
            return 0
        chosen = letters
        if args.offset is not None:
            chosen = [find(letters, args.offset, args.partition)]
        if args.group:
            chosen = [d for d in chosen if d.group == args.group]
        sent = run_sync(redrive(kafka, chosen))
        targets = sorted({d.origin for d in chosen})
        print(f"re-drove {sent} dead letters to {', '.join(targets) or 'nothing'}")
        return 0
    except DeadLetterError as exc:
        print(f"llwybr dlq: {exc}", file=sys.stderr)
        return 1


def _list(args: argparse.Namespace, letters: list[DeadLetter]) -> int:
    rows = [d.summary() for d in letters]
    if args.json:
        print(
            json.dumps(
                {"topic": dead_letter_topic(args.topic), "count": len(rows), "items": rows},
                indent=2,
            )
        )
        return 0
    print(f"{dead_letter_topic(args.topic)}: {len(rows)} dead letters")
    for r in rows:
        print(
            f"  {r['partition']}:{r['offset']}  group={r['consumer_group']} "
            f"attempts={r['attempts']} type={r['event_type']} id={r['event_id']}\n"
            f"      error: {r['error']}"
        )
    return 0
