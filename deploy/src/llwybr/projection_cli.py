"""`llwybr projection rebuild referral`: rebuild the referral service's case list (state,
deciding body, clocks, next due, the journey's timeline entries) from the journey's events on
`aln.journey.v1`, read from the beginning of the topic, each event's signature checked as
the service's own consumer checks it (an event that fails is skipped and counted).

The journey stays the authority; this puts the list right after a lost or mis-applied event.
Where: the stack under `--home`, or LLWYBR_DATABASE_URL, LLWYBR_KAFKA_BOOTSTRAP and
LLWYBR_EVENT_VERIFY_KEYS."""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from llwybr.dead_letters import read_topic
from llwybr.stack import Stack, run_sync
from llwybr_common.connections import database_ssl
from llwybr_common.db import make_engine, session_scope
from llwybr_common.event_signing import SignatureError, load_verifier, public_keys_dir
from llwybr_common.settings import get_settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import CloudEvent, EnvelopeError, unwrap
from llwybr_contracts.events import Event

PROJECTIONS = ("referral",)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "projection",
        help="rebuild a service's projection from the journey's events",
        description="Rebuild a read model from the events it projects.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    rebuild = actions.add_parser("rebuild", help="rebuild a projection from the events")
    rebuild.add_argument("projection", choices=PROJECTIONS)
    rebuild.add_argument(
        "--home", default=Path(os.environ.get("LLWYBR_HOME") or ".llwybr"), type=Path
    )
    rebuild.set_defaults(func=run_rebuild)


def _where(home: Path) -> tuple[str, str, Path] | str:
    """(database url, Kafka bootstrap, public keys) or why not."""
    stack = Stack.load(home)
    endpoints = stack.endpoints if stack else None
    url = os.environ.get("LLWYBR_DATABASE_URL") or (endpoints.database_url if endpoints else "")
    kafka = os.environ.get("LLWYBR_KAFKA_BOOTSTRAP") or (endpoints.kafka if endpoints else "")
    keys = os.environ.get("LLWYBR_EVENT_VERIFY_KEYS")
    verify = Path(keys) if keys else public_keys_dir(home / "keys" / "events")
    if not (url and kafka):
        return (
            f"no running stack under {home} and LLWYBR_DATABASE_URL / LLWYBR_KAFKA_BOOTSTRAP "
            "are not set"
        )
    if not verify.is_dir():
        return f"no event verification keys at {verify} (LLWYBR_EVENT_VERIFY_KEYS)"
    return url, kafka, verify


async def rebuild_referral(url: str, kafka: str, keys: Path) -> dict[str, int]:
    from referral import projection
    from referral.consumers import PROJECTED

    verifier = load_verifier(keys)
    events: list[tuple[CloudEvent, Event]] = []
    skipped = 0
    for record in await read_topic(kafka, topics.JOURNEY):
        raw = record.value or b""
        try:
            envelope, payload = unwrap(raw)
            verifier.verify(json.loads(raw), topics.JOURNEY)
        except (EnvelopeError, SignatureError, ValueError):
            skipped += 1
            continue
        if isinstance(payload, PROJECTED):
            events.append((envelope, payload))
    engine = make_engine(url, "referral", ssl=database_ssl(get_settings()), pool_size=1)
    try:
        async with session_scope(engine) as session:
            applied, cases = await projection.rebuild(session, events)
    finally:
        await engine.dispose()
    return {"applied": applied, "cases": cases, "skipped": skipped}


def run_rebuild(args: argparse.Namespace) -> int:
    where = _where(args.home)
    if isinstance(where, str):
        print(f"llwybr projection rebuild: {where}", file=sys.stderr)
        return 1
    counts: dict[str, Any] = run_sync(rebuild_referral(*where))
    print(
        f"rebuilt the referral case list from {counts['applied']} journey events "
        f"({counts['cases']} cases; {counts['skipped']} events skipped: bad envelope or signature)"
    )
    return 0
