"""The one table of what `llwybr up` runs: infrastructure, services, worker and bridge.

Every port has a fixed default and an offset; `--port-base N` puts every port at N + offset so
tests can run whole stacks side by side on free ports.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

Kind = Literal["service", "workflow"]


@dataclass(frozen=True)
class Component:
    """A Python process of Llwybr, started as `python -m <module>` and health-checked over HTTP."""

    name: str  # the key used everywhere: LLWYBR_SERVICE, log file name, status keys
    module: str
    kind: Kind
    schema: str | None  # the PostgreSQL schema it owns (None: it keeps no data)
    app: str  # `module:attribute`, the ASGI app (or what makes it) that `llwybr.host` serves
    service: str = ""  # LLWYBR_SERVICE when it differs from `name` (a worker's replicas)

    @property
    def identity(self) -> str:
        """Who the process is to the others: its service name, signing key, spans' service."""
        return self.service or self.name


def _service(name: str) -> Component:
    # Service keys are the folder names under services/; the package swaps '-' for '_'.
    module = name.replace("-", "_")
    schema = None if name == "console" else module
    app = f"{module}.main:create_app" if name == "console" else f"{module}.main:app"
    return Component(name, module, "service", schema, app)


SERVICES: Final = (
    "referral",
    "idp",
    "health-liaison",
    "notifications",
    "advocacy",
    "console",
    "insight",
)

COMPONENTS: Final[tuple[Component, ...]] = (
    *(_service(name) for name in SERVICES),
    # The worker and the bridge share the journey's schema (its outbox, inbox and calendars).
    Component(
        "worker",
        "llwybr_workflows.worker",
        "workflow",
        "journey",
        "llwybr_workflows.worker:create_app",
    ),
    Component(
        "bridge",
        "llwybr_workflows.bridge",
        "workflow",
        "journey",
        "llwybr_workflows.bridge:create_app",
    ),
)

# `llwybr up --workers N`: workers 2..N are replicas of `worker` (the same service, task queue,
# key and schema), each a process of its own on a port after the fixed block.
MAX_WORKERS: Final = 16


def worker_replicas(workers: int) -> tuple[Component, ...]:
    worker = next(c for c in COMPONENTS if c.name == "worker")
    return tuple(
        Component(f"worker-{i}", worker.module, "workflow", "journey", worker.app, "worker")
        for i in range(2, workers + 1)
    )


def components_of(workers: int = 1) -> dict[str, Component]:
    """Every component of a stack with `workers` workflow workers, by name."""
    return {c.name: c for c in (*COMPONENTS, *worker_replicas(workers))}


# Embedded mode only: services that own little share one process (`llwybr.host`), each with its
# own port, schema, role, key and consumer groups. Production runs each alone (manifests.py).
# The referral service (intake, the hot path) and the worker (which `--workers` multiplies)
# keep their own; the bridge, glue between Kafka and Temporal, shares.
SHARED_HOST: Final = "shared"
SHARED: Final = (
    "idp",
    "health-liaison",
    "notifications",
    "advocacy",
    "console",
    "insight",
    "bridge",
)

# Every schema a component owns, each with its own runtime role.
SCHEMAS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(c.schema for c in COMPONENTS if c.schema is not None)
)

BY_NAME: Final[dict[str, Component]] = {c.name: c for c in COMPONENTS}

# The illustrative people embedded mode seeds (recipients, sign-in, dev tokens): one file.
PEOPLE_CSV: Final = Path(__file__).parent / "data" / "people.csv"

# Infrastructure the embedded stack starts itself unless an environment variable points elsewhere.
INFRA: Final = ("postgres", "temporal", "kafka", "smtp")

# Which LLWYBR_* variable replaces which embedded part (production endpoints).
EXTERNAL_ENV: Final[dict[str, str]] = {
    "postgres": "LLWYBR_DATABASE_URL",
    "temporal": "LLWYBR_TEMPORAL_ADDRESS",
    "kafka": "LLWYBR_KAFKA_BOOTSTRAP",
    "smtp": "LLWYBR_SMTP_HOST",
}

# Port name -> (default port, offset from --port-base). PostgreSQL listens on a Unix socket only.
PORTS: Final[dict[str, tuple[int, int]]] = {
    "temporal": (7233, 0),
    "temporal_ui": (8233, 1),
    "temporal_http": (7243, 2),
    "temporal_metrics": (7244, 3),
    "kafka": (9092, 4),
    "smtp": (8025, 5),
    "referral": (8101, 10),
    "idp": (8102, 11),
    "health-liaison": (8103, 12),
    "notifications": (8104, 13),
    "advocacy": (8105, 14),
    "console": (8106, 15),
    "worker": (8110, 16),
    "bridge": (8111, 17),
    "insight": (8107, 18),
}

# Ports used by each infrastructure part (checked before anything starts).
INFRA_PORTS: Final[dict[str, tuple[str, ...]]] = {
    "postgres": (),
    "temporal": ("temporal", "temporal_ui", "temporal_http", "temporal_metrics"),
    "kafka": ("kafka",),
    "smtp": ("smtp",),
}

# How many consecutive ports a --port-base block needs (one more per extra worker).
PORT_SPAN: Final = max(offset for _, offset in PORTS.values()) + 1
WORKER_DEFAULT_PORT: Final = 8120  # worker-2 without --port-base; worker-3 next, and so on


def port_plan(port_base: int | None = None, workers: int = 1) -> dict[str, int]:
    """Every port by name: the defaults, or `port_base` + offset."""
    extra = {c.name: i for i, c in enumerate(worker_replicas(workers))}
    if port_base is None:
        plan = {name: default for name, (default, _) in PORTS.items()}
        return plan | {name: WORKER_DEFAULT_PORT + i for name, i in extra.items()}
    plan = {name: port_base + offset for name, (_, offset) in PORTS.items()}
    return plan | {name: port_base + PORT_SPAN + i for name, i in extra.items()}
