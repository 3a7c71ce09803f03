"""The `llwybr` command: one argparse tree, each command registered by its own module.

A command module exposes `register(subparsers)`, which adds its parser and sets `func`
(called with the parsed namespace, returning the exit status). Bad input exits with 2.
"""

import argparse
import importlib
import os
import sys

# Modules under `llwybr.` that register commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "stack_cli",  # up, down, status
    "clock_cli",  # clock, calendar
    "ladder_cli",  # ladder (show, set, reset, history)
    "replay_cli",  # replay
    "provision_cli",  # provision (topics and search attributes on real clusters)
    "dlq_cli",  # dlq (list, show, redrive)
    "contracts_cli",  # contracts (export, check)
    "token_cli",  # dev-token
    "demo_cli",  # demo
    "insight_cli",  # insight rebuild
    "projection_cli",  # projection rebuild referral
    "bench_cli",  # bench
    "serve_cli",  # serve (one service in the foreground)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llwybr", description="Llwybr: the statutory ALN journey in Wales"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"llwybr.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"llwybr.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
