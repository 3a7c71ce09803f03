"""Temporal names other parts rely on (docs/events.md)."""

from typing import Final

TASK_QUEUE: Final = "aln-journey"


def journey_workflow_id(case_id: str) -> str:
    return f"case-{case_id}"


def health_workflow_id(request_id: str) -> str:
    return f"health-{request_id}"


# Custom search attributes the journey sets; `llwybr up` registers them on the dev server.
SEARCH_ATTRIBUTES: Final[dict[str, str]] = {
    "LlwybrCaseState": "Keyword",
    "LlwybrDecidingBody": "Keyword",
    "LlwybrAuthority": "Keyword",
    "LlwybrNextDue": "Datetime",
}

# A handoff to an advocacy provider waits for its answer (workflows/README.md, HandoffWatch).
HANDOFF_WATCH_WORKFLOW: Final = "HandoffWatch"
SIGNAL_HANDOFF_ANSWERED: Final = "handoff_answered"


def handoff_watch_id(handoff_id: str) -> str:
    return f"handoff-{handoff_id}"
