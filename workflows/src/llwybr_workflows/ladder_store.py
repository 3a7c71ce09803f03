"""Authorities' own escalation ladders, per rule, versioned, in the journey schema
(`journey_ladders`). Setting a ladder adds a version; resetting adds one that says "the
default" (journey/ladder.py). The `load_case_setup` activity reads the versions in force, so a
journey records the ladder it used (never re-read on replay); a new version reaches journeys
that start after it and running ones at their next calendar load.

The API (for `llwybr ladder` and a future admin endpoint): `set`, `reset`, `in_force`,
`history`. Not workflow code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import func, select, text

from llwybr_clock.rules import RULE_IDS
from llwybr_clock.shipped import find_authority
from llwybr_workflows.calendar_store import Sessions
from llwybr_workflows.journey.contracts import LadderStep
from llwybr_workflows.journey.ladder import alert_target
from llwybr_workflows.models import StoredLadder
from llwybr_workflows.shared_reads import SharedReads


class LadderError(ValueError):
    """A ladder that cannot be used: the message names what is wrong."""


@dataclass(frozen=True)
class LadderVersion:
    authority: str
    rule: str
    version: int
    steps: tuple[LadderStep, ...] | None  # None: the default
    set_at: datetime
    set_by: str


def parse_ladder(rule: str, steps: Sequence[Any]) -> tuple[LadderStep, ...]:
    """Check a ladder given as data: known rule, known stages and roles, one of each warning
    stage, escalation days not negative."""
    if rule not in RULE_IDS:
        raise LadderError(f"unknown rule {rule!r}; valid rules: {', '.join(RULE_IDS)}")
    if not isinstance(steps, list) or not steps:
        raise LadderError("a ladder is a non-empty JSON list of steps")
    parsed: list[LadderStep] = []
    for i, raw in enumerate(steps, start=1):
        try:
            step = LadderStep.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise LadderError(f"step {i}: {where}: {first['msg']}") from None
        for role in step.roles:
            try:
                alert_target(role, la="W06000015", board="W11000029", school_ref="s",
                             school_body=True)  # fmt: skip
            except ValueError:
                raise LadderError(f"step {i}: unknown role {role!r}") from None
        if step.after_breach_days < 0 or (step.repeat_days is not None and step.repeat_days < 1):
            raise LadderError(f"step {i}: after_breach_days >= 0 and repeat_days >= 1")
        if step.stage != "escalated" and (step.after_breach_days or step.repeat_days):
            raise LadderError(f"step {i}: only an escalated step has days after breach")
        parsed.append(step)
    stages = [s.stage for s in parsed]
    for stage in ("at-risk", "due", "breached"):
        if stages.count(stage) > 1:
            raise LadderError(f"stage {stage} appears {stages.count(stage)} times (at most once)")
    return tuple(parsed)


class LadderSource(Protocol):
    async def in_force(self, authority: str) -> dict[str, LadderVersion]: ...

    async def stamp(self, ons_code: str) -> object: ...


class NoLadders:
    """No authority has its own ladder (no database): the defaults everywhere."""

    async def in_force(self, authority: str) -> dict[str, LadderVersion]:
        return {}

    async def stamp(self, ons_code: str) -> object:
        return None


NO_LADDERS = NoLadders()


def _version(row: StoredLadder) -> LadderVersion:
    steps = None if row.steps is None else tuple(LadderStep.model_validate(s) for s in row.steps)
    return LadderVersion(row.authority, row.rule, row.version, steps, row.set_at, row.set_by)


class LadderStore:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        # a recompute asks 10,000 times at once: callers at the same moment share one query
        self._stamps: SharedReads[str, object] = SharedReads(self._read_stamp)

    async def _add(
        self, authority: str, rule: str, steps: tuple[LadderStep, ...] | None, by: str
    ) -> LadderVersion:
        ons = find_authority(authority).ons_code
        async with self._sessions() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"ladder:{ons}:{rule}"}
            )
            last = (
                await session.execute(
                    select(func.max(StoredLadder.version)).where(
                        StoredLadder.authority == ons,  # type: ignore[arg-type]
                        StoredLadder.rule == rule,  # type: ignore[arg-type]
                    )
                )
            ).scalar()
            row = StoredLadder(
                authority=ons,
                rule=rule,
                version=(last or 0) + 1,
                steps=None if steps is None else [s.model_dump(mode="json") for s in steps],
                set_at=datetime.now(UTC),
                set_by=by,
            )
            session.add(row)
        return _version(row)

    async def set(
        self, authority: str, rule: str, steps: Sequence[Any], *, by: str = "cli"
    ) -> LadderVersion:
        return await self._add(authority, rule, parse_ladder(rule, steps), by)

    async def reset(self, authority: str, rule: str, *, by: str = "cli") -> LadderVersion:
        """A new version that puts the default back."""
        if rule not in RULE_IDS:
            raise LadderError(f"unknown rule {rule!r}; valid rules: {', '.join(RULE_IDS)}")
        return await self._add(authority, rule, None, by)

    async def history(self, authority: str, rule: str | None = None) -> list[LadderVersion]:
        """Every version, newest first."""
        query = select(StoredLadder).where(
            StoredLadder.authority == find_authority(authority).ons_code  # type: ignore[arg-type]
        )
        if rule is not None:
            query = query.where(StoredLadder.rule == rule)  # type: ignore[arg-type]
        query = query.order_by(StoredLadder.id.desc())  # type: ignore[union-attr]
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        return [_version(r) for r in rows]

    async def in_force(self, authority: str) -> dict[str, LadderVersion]:
        """The latest version per rule the authority has set (a reset is a version too)."""
        found: dict[str, LadderVersion] = {}
        for v in reversed(await self.history(authority)):
            found[v.rule] = v
        return found

    async def stamp(self, ons_code: str) -> object:
        return await self._stamps.get(ons_code)

    async def _read_stamp(self, ons_code: str) -> object:
        async with self._sessions() as session:
            return (
                await session.execute(
                    text("SELECT max(id) FROM journey_ladders WHERE authority = :a"),
                    {"a": ons_code},
                )
            ).scalar()
