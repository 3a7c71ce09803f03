"""`llwybr provision`: topics and search attributes on the clusters LLWYBR_* names."""

import argparse
import json
import sys
from dataclasses import asdict

from llwybr.provision import ProvisionError, provision
from llwybr.stack import run_sync
from llwybr_common.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "provision",
        help="create topics and search attributes on a Kafka and a Temporal cluster",
        description=(
            "Create every topic (partitions, LLWYBR_KAFKA_REPLICATION_FACTOR, "
            "min.insync.replicas from LLWYBR_KAFKA_MIN_INSYNC_REPLICAS) on LLWYBR_KAFKA_BOOTSTRAP "
            "and the journey's search attributes on LLWYBR_TEMPORAL_NAMESPACE. Idempotent: what "
            "exists is kept, and any difference from the settings is reported."
        ),
    )
    p.add_argument("--skip-topics", action="store_true", help="leave Kafka alone")
    p.add_argument(
        "--skip-temporal",
        action="store_true",
        help="leave Temporal alone (Temporal Cloud: create search attributes with tcld)",
    )
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        done = run_sync(
            provision(settings, topics=not args.skip_topics, temporal=not args.skip_temporal)
        )
    except (ProvisionError, ValueError) as exc:
        print(f"llwybr provision: {exc}", file=sys.stderr)
        return 1
    topics = done.get("topics")
    if args.json:
        out = {
            "topics": asdict(topics) if topics else None,
            **{k: v for k, v in done.items() if k != "topics"},
        }
        print(json.dumps(out, indent=2))
    else:
        if topics is not None:
            print(
                f"Kafka {settings.kafka_bootstrap}: {len(topics.created)} topics created, "
                f"{len(topics.existing)} already there (replication "
                f"{settings.kafka_replication_factor}, min.insync.replicas "
                f"{settings.kafka_min_insync_replicas})"
            )
        if "search_attributes" in done:
            added = done["search_attributes"]
            print(
                f"Temporal {settings.temporal_address}/{settings.temporal_namespace}: "
                + (f"added {', '.join(added)}" if added else "search attributes already there")
            )
    for line in topics.drift if topics else []:
        print(f"differs from the settings (left as it is): {line}", file=sys.stderr)
    return 0
