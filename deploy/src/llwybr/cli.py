"""The `llwybr` command: one argparse tree, each command registered by its own module.

A command module exposes `register(subparsers)`, which adds its parser and sets `func`
(called with the parsed namespace, returning the exit status). Bad input exits with 2.

Only the module of the command asked for is imported: the others pull in SQLAlchemy, Temporal
and FastStream, and `llwybr clock` answered in 4 s instead of a fraction of one. `--help`, no
command or an unknown one builds the whole tree.
"""

import argparse
import importlib
import os
import sys

# Modules under `llwybr.` that register commands, in the order `--help` lists them, with the
# commands each registers (deploy/tests/test_cli_dispatch.py checks these against the modules).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "stack_cli": ("up", "down", "status", "restart"),
    "clock_cli": ("clock", "calendar"),
    "ladder_cli": ("ladder",),  # show, set, reset, history
    "replay_cli": ("replay",),
    "provision_cli": ("provision",),  # topics and search attributes on real clusters
    "dlq_cli": ("dlq",),  # list, show, redrive
    "contracts_cli": ("contracts",),  # export, check
    "token_cli": ("dev-token",),
    "demo_cli": ("demo",),
    "insight_cli": ("insight",),  # rebuild
    "projection_cli": ("projection",),  # rebuild referral
    "bench_cli": ("bench",),
    "serve_cli": ("serve",),  # one service in the foreground
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with `command`'s module alone when it is known."""
    known = any(command in commands for commands in COMMAND_MODULES.values())
    parser = argparse.ArgumentParser(
        prog="llwybr", description="Llwybr: the statutory ALN journey in Wales"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, commands in COMMAND_MODULES.items():
        if known and command not in commands:
            continue
        try:
            module = importlib.import_module(f"llwybr.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"llwybr.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `llwybr status --json | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
