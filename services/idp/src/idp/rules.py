"""The IDP's own rules, pure: who maintains a plan, whether a move carries it, when its review
falls due, and what changed between two issued versions (docs/rules.md section 6)."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from llwybr_clock.counting import days_to_count
from llwybr_clock.rules import rule_for
from llwybr_contracts.vocabulary import RuleId

POLICY_FILE = Path(__file__).parent / "data" / "maintenance_policy.json"


@dataclass(frozen=True)
class Maintainer:
    body: str  # school:<ref>, la:<ONS code>
    reason: str  # a code: why this body maintains the plan
    authority: str  # the authority whose officers oversee it


@cache
def maintenance_policy() -> dict[str, dict[str, str]]:
    """Each authority's policy on the plans it decides (Act s.14: it may maintain a plan itself
    or direct a school to), with its reason. Data, not code: authorities differ."""
    loaded: dict[str, dict[str, str]] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in loaded.items() if not k.startswith("_")}


def maintainer_for(
    *, deciding_body: str, authority: str, school_ref: str | None, institution: str | None = None
) -> Maintainer:
    """The maintaining body follows the deciding body (Act s.11, s.14): a school or further
    education institution maintains the plan it decided; an authority maintains its own unless
    its policy directs the learner's school to (s.14(2)), recorded with the policy's reason."""
    if deciding_body == "school" and school_ref:
        return Maintainer(f"school:{school_ref}", "follows-deciding-body", authority)
    if deciding_body == "fei" and institution:
        return Maintainer(f"fei:{institution}", "follows-deciding-body", authority)
    policy = maintenance_policy().get(authority, {})
    if school_ref and policy.get("la_decided_at_school") == "school":
        return Maintainer(
            f"school:{school_ref}", f"la-policy:{policy.get('reason', 'directed')}", authority
        )
    return Maintainer(f"la:{authority}", "follows-deciding-body", authority)


def moved_over_the_summer(left_on: date, registered_on: date) -> bool:
    """Left in the summer term or holiday and registered in the next school year."""
    return 4 <= left_on.month <= 8 and registered_on >= date(left_on.year, 9, 1)


def transfer_carries_plan(left_on: date | None, registered_on: date | None) -> bool:
    """Act s.35(2)-(4): a move over the summer carries the plan only if the learner is
    registered at the new school before the end of September; any other move carries it."""
    if left_on is None or registered_on is None:
        return True
    if not moved_over_the_summer(left_on, registered_on):
        return True
    return registered_on <= date(left_on.year, 9, 30)


def review_due(start: date) -> date:
    """`idp-review` (Act ss.23-24): the day before the anniversary of start, no roll-over. The
    journey owns the clock; this is what the plan shows until its ClockStarted arrives."""
    return start + timedelta(days=days_to_count(rule_for(RuleId.IDP_REVIEW), start, 0))


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two issued versions: each section that differs, each provision item
    added, removed or changed (by item id, with the fields that changed)."""
    before = before or {}
    out: list[dict[str, Any]] = []
    for section in ("administration", "profile", "aln_description", "content_language"):
        if before.get(section) != after.get(section):
            out.append({"target": section, "change": "changed"})
    old = {i["item_id"]: i for i in before.get("provision", [])}
    new = {i["item_id"]: i for i in after.get("provision", [])}
    for item_id, item in new.items():
        if item_id not in old:
            out.append({"target": f"provision:{item_id}", "change": "added"})
        elif item != old[item_id]:
            fields = sorted(k for k in item if item.get(k) != old[item_id].get(k))
            out.append({"target": f"provision:{item_id}", "change": "changed", "fields": fields})
    for item_id in old.keys() - new.keys():
        out.append({"target": f"provision:{item_id}", "change": "removed"})
    return out
