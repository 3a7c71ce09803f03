"""Escalation ladders as data (issue 5, "Deadlines with teeth"): per rule, overridable per
authority. The `load_case_setup` activity resolves them, so a change here reaches a running
journey only through its recorded activity result (never on replay).

Levels: at-risk 0, due 1, breached 2, each escalation rung 3, 4, ...
Times (ALN_RULES.md s.1): warnings and the due alert at 09:00 Europe/London; breached from 00:00
the day after the due date.
"""

from llwybr_workflows.journey.contracts import LadderStep

# Default: at risk: the case officer; due: officer and ALN manager; breached: manager and head
# of service, repeated weekly until resolved.
DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=("officer",)),
    LadderStep(stage="due", roles=("officer", "manager")),
    LadderStep(stage="breached", roles=("manager", "head-of-service")),
    LadderStep(
        stage="escalated",
        roles=("manager", "head-of-service"),
        after_breach_days=7,
        repeat_days=7,
    ),
)

# health-response (Regs reg 11): at risk: the board's DECLO; breached: the DECLO and the case's
# LA officer; 14 days after breach: the board's ALN lead. Due: the DECLO [assumed].
HEALTH_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=("declo",)),
    LadderStep(stage="due", roles=("declo",)),
    LadderStep(stage="breached", roles=("declo", "la-officer")),
    LadderStep(stage="escalated", roles=("board-aln-lead",), after_breach_days=14),
)

# The family's own windows (tribunal-appeal: ETW Regs reg 10; cease-reconsider-request: Regs
# reg 12): nobody breaches them; the officer is reminded, and the window closes silently.
WINDOW_LADDER: tuple[LadderStep, ...] = (
    LadderStep(stage="at-risk", roles=("officer",)),
    LadderStep(stage="due", roles=("officer",)),
    LadderStep(stage="breached", roles=()),
)

RULE_LADDERS: dict[str, tuple[LadderStep, ...]] = {
    "health-response": HEALTH_LADDER,
    "tribunal-appeal": WINDOW_LADDER,
    "cease-reconsider-request": WINDOW_LADDER,
    "tribunal-review-application": WINDOW_LADDER,
}

# Per-authority overrides: {ONS code: {rule id: ladder}}. Empty until an authority asks.
AUTHORITY_LADDERS: dict[str, dict[str, tuple[LadderStep, ...]]] = {}

WINDOW_RULES = frozenset(
    {"tribunal-appeal", "cease-reconsider-request", "tribunal-review-application"}
)


def ladders_for(authority: str, rules: tuple[str, ...]) -> dict[str, tuple[LadderStep, ...]]:
    overrides = AUTHORITY_LADDERS.get(authority, {})
    return {r: overrides.get(r, RULE_LADDERS.get(r, DEFAULT_LADDER)) for r in rules}


def alert_target(
    role: str, *, la: str, board: str, school_ref: str | None, school_body: bool
) -> tuple[str, str]:
    """A ladder role key -> (alert_role, alert_scope), ids and codes only (DESIGN.md)."""
    if role == "officer":
        if school_body and school_ref:
            return "school-alnco", f"school:{school_ref}"
        return "la-officer", f"la:{la}"
    if role == "la-officer":
        return "la-officer", f"la:{la}"
    if role == "manager":
        return "la-manager", f"la:{la}"
    if role == "head-of-service":
        return "la-head-of-service", f"la:{la}"
    if role == "declo":
        return "declo", f"board:{board}"
    if role == "board-aln-lead":
        return "board-aln-lead", f"board:{board}"
    raise ValueError(f"unknown ladder role {role!r}")
