"""The search attributes a journey keeps current (the case list and the calendar fan-out find
journeys by them): state, deciding body, authority and the earliest open due date."""

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from llwybr_workflows.journey import rules
from llwybr_workflows.journey.clockbook import local
from llwybr_workflows.journey.state import JourneyState

STATE_KEY = SearchAttributeKey.for_keyword("LlwybrCaseState")
BODY_KEY = SearchAttributeKey.for_keyword("LlwybrDecidingBody")
AUTHORITY_KEY = SearchAttributeKey.for_keyword("LlwybrAuthority")
NEXT_DUE_KEY = SearchAttributeKey.for_datetime("LlwybrNextDue")


def search_attributes(s: JourneyState) -> list[SearchAttributeUpdate[Any]]:
    """LlwybrNextDue is 00:00 in Wales on the earliest open due date."""
    due = rules.next_due(s)
    return [
        STATE_KEY.value_set(str(s.state)),
        AUTHORITY_KEY.value_set(s.journey.authority),
        BODY_KEY.value_set(str(s.deciding_body)) if s.deciding_body else BODY_KEY.value_unset(),
        NEXT_DUE_KEY.value_set(local(due)) if due else NEXT_DUE_KEY.value_unset(),
    ]
