"""`llwybr ladder`: authorities' own escalation ladders, versioned, in the journey's database.

    llwybr ladder show --authority X [--rule R]      the ladders in force (own or default)
    llwybr ladder set --authority X --rule R FILE     a new version from a JSON list of steps
    llwybr ladder reset --authority X --rule R        a new version: the default again
    llwybr ladder history --authority X [--rule R]    every version, newest first

A step: {"stage": "at-risk"|"due"|"breached"|"escalated", "roles": [...],
"after_breach_days": N, "repeat_days": N}; roles: officer, la-officer, la-manager,
head-of-service, declo, board-aln-lead. Bad input: a specific message, exit 2."""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from llwybr.calendar_events import Unreachable, on_journey
from llwybr_clock.errors import ClockError
from llwybr_clock.rules import RULE_IDS
from llwybr_clock.shipped import find_authority
from llwybr_workflows.journey.contracts import LadderStep
from llwybr_workflows.journey.ladder import default_ladder
from llwybr_workflows.ladder_store import LadderError, LadderStore, LadderVersion, parse_ladder


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "ladder",
        help="authorities' escalation ladders (show, set, reset, history)",
        description="Per-authority escalation ladders, versioned; the default where none is set.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("show", "the ladders in force for an authority", run_show),
        ("set", "set a rule's ladder from a JSON file (a new version)", run_set),
        ("reset", "put a rule's default ladder back (a new version)", run_reset),
        ("history", "every version, newest first", run_history),
    ):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("--authority", required=True, metavar="CODE_OR_NAME")
        a.add_argument("--rule", required=name in ("set", "reset"), metavar="RULE")
        if name == "set":
            a.add_argument("file", metavar="FILE", help="JSON list of steps")
        a.add_argument(
            "--home", default=Path(os.environ.get("LLWYBR_HOME") or ".llwybr"), type=Path
        )
        a.set_defaults(func=_guarded(func))


class _BadInput(Exception):
    pass


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            find_authority(args.authority)
            if args.rule is not None and args.rule not in RULE_IDS:
                raise _BadInput(f"unknown rule {args.rule!r}; valid rules: {', '.join(RULE_IDS)}")
            return int(func(args))
        except (_BadInput, LadderError, ClockError, Unreachable) as exc:
            print(f"llwybr ladder: {exc}", file=sys.stderr)
            return 2

    return run


def _store(args: argparse.Namespace, use: Any) -> Any:
    asked, found = on_journey(args.home, lambda sessions: use(LadderStore(sessions)))
    if not asked:
        raise _BadInput(
            f"no database: ladders live in the journey's database; start a stack "
            f"(`llwybr up --home {args.home}`) or set LLWYBR_DATABASE_URL"
        )
    return found


def _steps(steps: tuple[LadderStep, ...]) -> str:
    out = []
    for s in steps:
        extra = ""
        if s.stage == "escalated":
            extra = f" +{s.after_breach_days}d" + (
                f" every {s.repeat_days}d" if s.repeat_days else ""
            )
        out.append(f"{s.stage}{extra}: {', '.join(s.roles) or '(nobody)'}")
    return "; ".join(out)


def _line(v: LadderVersion) -> str:
    what = "default" if v.steps is None else _steps(v.steps)
    return f"{v.rule} v{v.version} {v.set_at:%Y-%m-%d %H:%M} ({v.set_by}): {what}"


def run_show(args: argparse.Namespace) -> int:
    own: dict[str, LadderVersion] = _store(args, lambda store: store.in_force(args.authority))
    for rule in [args.rule] if args.rule else RULE_IDS:
        v = own.get(rule)
        if v is not None and v.steps is not None:
            print(f"{rule} (own, v{v.version}): {_steps(v.steps)}")
        else:
            print(f"{rule} (default): {_steps(default_ladder(rule))}")
    return 0


def run_set(args: argparse.Namespace) -> int:
    try:
        steps = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _BadInput(f"cannot read ladder file {args.file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise _BadInput(f"{args.file} is not JSON: line {exc.lineno}: {exc.msg}") from None
    parse_ladder(args.rule, steps)  # bad input before any database
    v = _store(args, lambda store: store.set(args.authority, args.rule, steps))
    print(f"set {_line(v)}")
    print("journeys that start from now use it; running ones at their next calendar load")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    v = _store(args, lambda store: store.reset(args.authority, args.rule))
    print(f"reset {_line(v)}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    for v in _store(args, lambda store: store.history(args.authority, args.rule)):
        print(_line(v))
    return 0
