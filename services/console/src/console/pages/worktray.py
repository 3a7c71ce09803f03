"""The LA officer's and ALNCo's worktray: open cases in scope, nearest due date first (the
referral service sorts and scopes them), each open clock's status as a tag; filters by state,
school and rule, and a search by case reference."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.clock_status import TAG_CLASSES, clock_tag, days_remaining
from console.identity import SignedIn
from console.services import ServiceProblem, services_of
from console.templating import render
from llwybr_common.wales import today_in_wales
from llwybr_contracts.states import CaseState
from llwybr_contracts.vocabulary import RuleId

router = APIRouter()
OPEN_STATES = [s.value for s in CaseState if s is not CaseState.CLOSED]
PAGE_SIZE = 50


@router.get("/cases")
async def worktray(
    request: Request,
    user: SignedIn,
    state: str = "",
    school: str = "",
    rule: str = "",
    reference: str = "",
    cursor: str = "",
) -> Response:
    filters = {
        "state": state if state in OPEN_STATES else "",
        "school": school.strip()[:32],
        "rule": rule if rule in set(RuleId) else "",
        "reference": reference.strip()[:64],
    }
    today = today_in_wales()
    rows: list[dict[str, Any]] = []
    problem: ServiceProblem | None = None
    next_cursor = None
    try:
        page = await services_of(request).call(
            request,
            user,
            "referral",
            "GET",
            "/api/v1/cases",
            params={**filters, "cursor": cursor, "limit": PAGE_SIZE},
        )
    except ServiceProblem as exc:
        problem = exc
    else:
        next_cursor = page.get("next")
        for item in page["items"]:
            if not filters["state"] and item["state"] == CaseState.CLOSED:
                continue  # the worktray is open work
            due = date.fromisoformat(item["next_due"]) if item.get("next_due") else None
            rows.append({**item, "next_due": due, "tags": _tags(item, today)})
    return render(
        request,
        "worktray.html",
        rows=rows,
        filters=filters,
        states=OPEN_STATES,
        rules=[r.value for r in RuleId],
        problem=problem,
        next_cursor=next_cursor,
        more_query=urlencode({**filters, "cursor": next_cursor or ""}),
    )


def _tags(item: dict[str, Any], today: date) -> list[dict[str, Any]]:
    tags = []
    for clock in item.get("open_clocks", []):
        due = date.fromisoformat(clock["due"]) if clock.get("due") else None
        tag = clock_tag(
            clock["status"], due, today, rule=clock["rule"], at_risk=clock.get("at_risk", False)
        )
        tags.append(
            {
                "rule": clock["rule"],
                "tag": tag.value,
                "classes": TAG_CLASSES[tag],
                "due": due,
                "days": days_remaining(due, today),
            }
        )
    return tags
