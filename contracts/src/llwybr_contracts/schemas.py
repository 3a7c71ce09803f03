"""JSON Schemas of every contract, exported to `contracts/schemas/` and checked in CI, so a
breaking change to an event, the envelope or the clock answer shows up in review."""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import CATALOGUE


def _extra_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {"cloudevent": CloudEvent}
    try:
        from llwybr_contracts.clock_answer import ClockAnswer

        models["clock-answer"] = ClockAnswer
    except ImportError:  # pragma: no cover - the clock contract is optional in old checkouts
        pass
    return models


def all_schemas() -> dict[str, dict[str, Any]]:
    """File stem -> JSON Schema. Events are named by their CloudEvents type."""
    out = {name: model.model_json_schema() for name, model in _extra_models().items()}
    for event_type, cls in CATALOGUE.items():
        schema = cls.model_json_schema()
        schema["x-cloudevents-type"] = event_type
        schema["x-topic"] = cls.topic
        out[event_type] = schema
    return dict(sorted(out.items()))


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    wanted = all_schemas()
    for stale in directory.glob("*.json"):
        if stale.stem not in wanted:
            stale.unlink()
    for name, schema in wanted.items():
        path = directory / f"{name}.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def check(directory: Path) -> list[str]:
    """Differences between the code's schemas and the checked-in ones (empty when equal)."""
    problems = []
    wanted = all_schemas()
    for name, schema in wanted.items():
        path = directory / f"{name}.json"
        if not path.exists():
            problems.append(f"{path}: missing (new contract)")
        elif path.read_text(encoding="utf-8") != render(schema):
            problems.append(f"{path}: differs from the code")
    for path in directory.glob("*.json"):
        if path.stem not in wanted:
            problems.append(f"{path}: no longer produced by the code (removed contract)")
    return problems
