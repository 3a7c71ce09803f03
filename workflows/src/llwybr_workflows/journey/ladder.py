"""Escalation ladders as data: per rule, overridable per authority. The `load_case_setup`
activity resolves them, so a change here reaches a running journey only through its recorded
activity result (never on replay).

Levels: at-risk 0, due 1, breached 2, each escalation rung 3, 4, ...
Times (docs/rules.md): warnings and the due alert at 09:00 Europe/London; breached from 00:00
the day after the due date.
"""

from collections.abc import Mapping

from llwybr_contracts.vocabulary import WINDOW_RULES, Role, RuleId
from llwybr_workflows.journey.contracts import LadderStep

# The case's own officer, resolved per clock: the school's ALNCo for a school's clock, else the
# LA's officer. Every other rung names a `Role`.
OFFICER = "officer"

# Default: at risk: the case officer; due: officer and ALN manager; breached: manager and head
# of service, repeated weekly until resolved.
DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=(OFFICER,)),
    LadderStep(stage="due", roles=(OFFICER, Role.LA_MANAGER)),
    LadderStep(stage="breached", roles=(Role.LA_MANAGER, Role.HEAD_OF_SERVICE)),
    LadderStep(
        stage="escalated",
        roles=(Role.LA_MANAGER, Role.HEAD_OF_SERVICE),
        after_breach_days=7,
        repeat_days=7,
    ),
)

# health-response (Regs reg 11): at risk: the board's DECLO; breached: the DECLO and the case's
# LA officer; 14 days after breach: the board's ALN lead. Due: the DECLO [assumed].
HEALTH_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=(Role.DECLO,)),
    LadderStep(stage="due", roles=(Role.DECLO,)),
    LadderStep(stage="breached", roles=(Role.DECLO, Role.LA_OFFICER)),
    LadderStep(stage="escalated", roles=(Role.BOARD_ALN_LEAD,), after_breach_days=14),
)

# The family's own windows (tribunal-appeal: ETW Regs reg 10; cease-reconsider-request: Regs
# reg 12): nobody breaches them; the officer is reminded, and the window closes silently.
WINDOW_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=(OFFICER,)),
    LadderStep(stage="due", roles=(OFFICER,)),
    LadderStep(stage="breached", roles=()),
)

RULE_LADDERS: dict[str, tuple[LadderStep, ...]] = {
    RuleId.HEALTH_RESPONSE: HEALTH_LADDER,
    **dict.fromkeys(WINDOW_RULES, WINDOW_LADDER),
}

# Per-authority ladders are data (ladder_store.py, `llwybr ladder`): the defaults above apply
# wherever an authority has set none.

# Ladders recorded (in journey histories) before the rungs named `Role` members.
_RECORDED_KEYS = {"manager": Role.LA_MANAGER}

# What journeys published for the head of service before alerts named the token role
# (workflows/README.md, patch `alert-roles-are-token-roles`).
LADDER_HEAD_OF_SERVICE = "la-head-of-service"


def default_ladder(rule: str) -> tuple[LadderStep, ...]:
    return RULE_LADDERS.get(rule, DEFAULT_LADDER)


def ladders_for(
    rules: tuple[str, ...], overrides: Mapping[str, tuple[LadderStep, ...] | None] | None = None
) -> dict[str, tuple[LadderStep, ...]]:
    """Per rule: the authority's own ladder where it set one (`None`: reset to the default)."""
    own = overrides or {}
    return {r: own.get(r) or default_ladder(r) for r in rules}


def alert_target(
    role: str,
    *,
    la: str,
    board: str,
    school_ref: str | None,
    school_body: bool,
    token_roles: bool = False,
) -> tuple[str, str]:
    """A ladder rung's role -> (alert_role, alert_scope), ids and codes only. `token_roles`:
    the head of service is alerted as the role its token carries (`head-of-service`), not as
    the journeys of before did (`la-head-of-service`)."""
    role = _RECORDED_KEYS.get(role, role)
    if role == OFFICER:
        if school_body and school_ref:
            return Role.SCHOOL_ALNCO, f"school:{school_ref}"
        return Role.LA_OFFICER, f"la:{la}"
    if role in (Role.LA_OFFICER, Role.LA_MANAGER):
        return Role(role), f"la:{la}"
    if role == Role.HEAD_OF_SERVICE:
        return (Role.HEAD_OF_SERVICE if token_roles else LADDER_HEAD_OF_SERVICE), f"la:{la}"
    if role in (Role.DECLO, Role.BOARD_ALN_LEAD):
        return Role(role), f"board:{board}"
    raise ValueError(f"unknown ladder role {role!r}")
