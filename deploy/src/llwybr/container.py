"""The container image's entry point: one image, the part chosen by the first argument.

    python -m llwybr.container referral        # a service, the worker or the bridge
    python -m llwybr.container migrate         # every schema's migrations, as the owner
    python -m llwybr.container keys DIR        # an event signing key pair per part, once
    python -m llwybr.container provision       # any other `llwybr` command

`migrate` brings every schema to its newest revision through LLWYBR_DATABASE_OWNER_URL and
grants each service's runtime role (`<schema>_app`) its rights, the same code each service runs
at start; as a Job before a rollout, a migration that fails stops the deploy before any pod is
replaced. Concurrent runs wait on a per-schema advisory lock.
"""

from __future__ import annotations

import asyncio
import importlib.util
import runpy
import sys
from pathlib import Path

from llwybr.components import BY_NAME, COMPONENTS


def migrations_of(module: str) -> Path:
    """The migrations folder beside the package that runs `module`."""
    spec = importlib.util.find_spec(module.split(".")[0])
    assert spec is not None and spec.origin is not None, f"{module} is not installed"
    return Path(spec.origin).parent / "migrations"


async def migrate_all() -> list[str]:
    from llwybr_common.connections import database_ssl
    from llwybr_common.db import make_engine
    from llwybr_common.migrations import migrate
    from llwybr_common.settings import get_settings

    settings = get_settings()
    owner_url = settings.database_owner_url or settings.database_url
    if not owner_url:
        raise SystemExit("llwybr migrate: set LLWYBR_DATABASE_OWNER_URL (the schemas' owner)")
    done: list[str] = []
    for component in COMPONENTS:
        if component.schema is None or component.schema in done:
            continue
        engine = make_engine(owner_url, component.schema, ssl=database_ssl(settings), pool_size=1)
        try:
            await migrate(
                engine,
                migrations_of(component.module),
                component.schema,
                runtime_role=f"{component.schema}_app",
            )
        finally:
            await engine.dispose()
        done.append(component.schema)
    return done


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        print("parts:", ", ".join(BY_NAME))
        return 0
    name, rest = argv[0], argv[1:]
    if name in BY_NAME:
        sys.argv = [BY_NAME[name].module, *rest]
        runpy.run_module(BY_NAME[name].module, run_name="__main__", alter_sys=True)
        return 0
    if name == "keys" and len(rest) == 1:
        from llwybr_common.event_signing import generate_keys

        made = generate_keys(Path(rest[0]), BY_NAME)
        print(f"made keys for {', '.join(made) or 'nobody (all exist)'} in {rest[0]}")
        return 0
    if name == "migrate":
        schemas = asyncio.run(migrate_all())
        print(f"migrated {', '.join(schemas)}")
        return 0
    from llwybr.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
