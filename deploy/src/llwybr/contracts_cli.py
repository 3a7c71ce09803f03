"""`llwybr contracts export|check`: the JSON Schemas and the AsyncAPI document, checked in
under contracts/ so a breaking change is visible in review and fails CI until exported."""

import argparse
import sys
from pathlib import Path

import llwybr_contracts
from llwybr import asyncapi
from llwybr_contracts import schemas

CONTRACTS_DIR = Path(llwybr_contracts.__file__).resolve().parents[2]
SCHEMA_DIR = CONTRACTS_DIR / "schemas"
ASYNCAPI_FILE = CONTRACTS_DIR / "asyncapi.json"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("contracts", help="export or check the JSON Schemas and AsyncAPI document")
    p.add_argument("action", choices=["export", "check"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "export":
        written = schemas.export(SCHEMA_DIR)
        ASYNCAPI_FILE.write_text(asyncapi.render(), encoding="utf-8")
        print(f"wrote {len(written)} schemas to {SCHEMA_DIR} and {ASYNCAPI_FILE}")
        return 0
    problems = schemas.check(SCHEMA_DIR)
    if not ASYNCAPI_FILE.exists() or ASYNCAPI_FILE.read_text(encoding="utf-8") != asyncapi.render():
        problems.append(f"{ASYNCAPI_FILE}: differs from the code")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("contracts changed: review, then run `./llwybr contracts export`", file=sys.stderr)
        return 1
    print(f"contracts match the code ({len(schemas.all_schemas())} schemas, AsyncAPI)")
    return 0
