"""`llwybr dev-token --role ROLE --scope SCOPE`: a bare RS256 JWT for the embedded stack.

Without `--subject` it signs as the seeded person of that role and scope (the people file that
embedded mode seeds), so that person's inbox is one command away."""

import argparse
import os
import sys
from pathlib import Path

from llwybr.components import PEOPLE_CSV
from llwybr_common.auth import ROLES, mint_token, parse_scope
from llwybr_common.people import read_people, seeded_subject
from llwybr_common.settings import Settings

JWT_KEY = "keys/jwt-signing.pem"  # where the embedded stack keeps its token signing key


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
        help="la:W06000015, board:W11000029, school:6812345, fei:10099011 (an FEI by UKPRN), "
        "advocacy:snap-cymru, wales "
        "(wg-analyst) or a bare ONS code",
    )
    p.add_argument(
        "--subject",
        default=None,
        help="the `sub` claim (an id, not a name); default: the seeded person of the first "
        "role and scope, else dev-user",
    )
    p.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    p.add_argument(
        "--home",
        default=Path(os.environ.get("LLWYBR_HOME") or ".llwybr"),
        type=Path,
        help="the stack's state directory, whose key signs the token "
        "(default: $LLWYBR_HOME or ./.llwybr)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # A token signed with any other key is refused by every service: never make a new key here.
    home = Path(args.home).expanduser().absolute()
    if not (home / "stack.json").exists() and not (home / JWT_KEY).exists():
        print(
            f"llwybr dev-token: no Llwybr stack in {home} (no stack.json, no {JWT_KEY}); "
            "start one with `llwybr up --home DIR` or name its home with --home DIR",
            file=sys.stderr,
        )
        return 2
    settings = Settings(home=home)
    subject = args.subject or _seeded(args.role[0], args.scope[0] if args.scope else "")
    try:
        token = mint_token(
            settings, subject=subject, roles=args.role, scopes=args.scope, ttl_seconds=args.ttl
        )
    except (ValueError, RuntimeError) as exc:
        print(f"llwybr dev-token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _seeded(role: str, scope: str) -> str:
    try:  # a bare ONS code names the same scope as its `la:`/`board:` form
        kind, value = parse_scope(scope) if scope else ("", "")
        scope = kind if kind == value else f"{kind}:{value}"  # `wales` has no value
    except ValueError:
        return "dev-user"  # mint_token says what is wrong with the scope
    return seeded_subject(read_people(PEOPLE_CSV), role, scope) or "dev-user"
