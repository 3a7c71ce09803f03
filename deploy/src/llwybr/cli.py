"""The `llwybr` command."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("llwybr: not yet", argv or sys.argv[1:])
    return 0
