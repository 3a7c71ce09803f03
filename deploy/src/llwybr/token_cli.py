"""`llwybr dev-token --role ROLE --scope SCOPE`: a bare RS256 JWT for the embedded stack."""

import argparse
import os
import sys
from pathlib import Path

from llwybr_common.auth import ROLES, mint_token
from llwybr_common.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dev-token",
        help="print a JWT for the embedded stack (embedded mode only)",
        description="Print a bare token, usable as `Authorization: Bearer <token>`.",
    )
    p.add_argument("--role", action="append", required=True, choices=sorted(ROLES))
    p.add_argument(
        "--scope",
        action="append",
        default=[],
        help="la:W06000015, board:W11000029, school:6812345, advocacy:snap-cymru or a bare ONS code",
    )
    p.add_argument("--subject", default="dev-user", help="the `sub` claim (an id, not a name)")
    p.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    p.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings(home=args.home)
    try:
        token = mint_token(
            settings, subject=args.subject, roles=args.role, scopes=args.scope, ttl_seconds=args.ttl
        )
    except (ValueError, RuntimeError) as exc:
        print(f"llwybr dev-token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
