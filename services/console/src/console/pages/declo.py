"""The DECLO inbox on the health-liaison service: the board's s.20 requests with their 6-week
countdown (Regs reg 11), and on each request: assign it, answer it (a service identified or
not, and whether it should be delivered in Welsh, Act s.21), or record that 6 weeks is
impractical with the reason (Regs reg 11(3))."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import csrf
from console.clock_status import TAG_CLASSES, clock_tag
from console.forms import FormError, FormErrors, refusal_text, value
from console.identity import SignedIn, User
from console.language import page_language, text
from console.services import ServiceProblem, services_of
from console.templating import render
from llwybr_common.wales import today_in_wales
from llwybr_contracts.vocabulary import RuleId

router = APIRouter()
STATUSES = ("open", "assigned", "responded", "impractical", "withdrawn")
AWAITING = ("open", "assigned")


def _assign(form: FormData, e: FormErrors, lang: str) -> dict[str, Any]:
    return {"kind": value(form, "assign-kind"), "assignee": value(form, "assign-assignee")}


def _respond(form: FormData, e: FormErrors, lang: str) -> dict[str, Any]:
    welsh = value(form, "respond-welsh_delivery")
    return {
        "outcome": value(form, "respond-outcome"),
        "service": value(form, "respond-service") or None,
        "welsh_delivery": {"yes": True, "no": False}.get(welsh),
        "notes": value(form, "respond-notes") or None,
    }


def _impractical(form: FormData, e: FormErrors, lang: str) -> dict[str, Any]:
    return {"reason": value(form, "impractical-reason")}


# step -> (API path, form builder, the API's field names)
STEPS: dict[str, tuple[str, Callable[[FormData, FormErrors, str], dict[str, Any]], set[str]]] = {
    "assign": ("assign", _assign, {"kind", "assignee"}),
    "respond": ("response", _respond, {"outcome", "service", "welsh_delivery", "notes"}),
    "impractical": ("impractical", _impractical, {"reason"}),
}


def _countdown(item: dict[str, Any], today: date) -> dict[str, Any]:
    due = date.fromisoformat(item["due"]) if item.get("due") else None
    status = "running" if item.get("status") in AWAITING else "met"
    if item.get("clock_state") in ("paused", "lifted"):
        status = item["clock_state"]
    tag = clock_tag(status, due, today, rule=RuleId.HEALTH_RESPONSE)
    return {**item, "due": due, "tag": tag.value, "classes": TAG_CLASSES[tag]}


@router.get("/health-requests")
async def inbox(request: Request, user: SignedIn, status: str = "") -> Response:
    chosen = [status] if status in STATUSES else list(AWAITING)
    today = today_in_wales()
    problem = None
    rows: list[dict[str, Any]] = []
    try:
        page = await services_of(request).call(
            request, user, "health-liaison", "GET", "/api/v1/health-requests",
            params={"status": chosen, "limit": 200},
        )  # fmt: skip
        rows = [_countdown(i, today) for i in page["items"]]
    except ServiceProblem as exc:
        problem = exc
    return render(
        request, "declo_inbox.html", rows=rows, problem=problem, status=status, statuses=STATUSES
    )


async def _detail_page(
    request: Request,
    user: User,
    request_id: str,
    *,
    form: FormData | None = None,
    errors: FormErrors | None = None,
    open_step: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        item = await services_of(request).call(
            request, user, "health-liaison", "GET", f"/api/v1/health-requests/{request_id}"
        )
    except ServiceProblem as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status) from exc
        raise
    return render(
        request,
        "declo_request.html",
        status_code=status_code,
        item=_countdown(item, today_in_wales()),
        awaiting=item.get("status") in AWAITING,
        errors=errors or FormErrors(),
        no_errors=FormErrors(),
        open_step=open_step,
        keys={s: str(uuid.uuid4()) for s in STEPS},
        field_value=lambda name: value(form, name) if form is not None else "",
    )


@router.get("/health-requests/{request_id}")
async def request_page(request: Request, request_id: str, user: SignedIn) -> Response:
    return await _detail_page(request, user, request_id)


@router.post("/health-requests/{request_id}/{step}", dependencies=[Depends(csrf.verify)])
async def take_step(request: Request, request_id: str, step: str, user: SignedIn) -> Response:
    if step not in STEPS:
        raise HTTPException(404)
    path, build, fields = STEPS[step]
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors(f"{step}-")
    body = build(form, errors, lang)
    try:
        await services_of(request).call(
            request,
            user,
            "health-liaison",
            "POST",
            f"/api/v1/health-requests/{request_id}/{path}",
            body=body,
            idempotency_key=value(form, "idempotency_key") or None,
        )
    except ServiceProblem as exc:
        if exc.status == 404:
            raise HTTPException(404) from exc
        if exc.status == 422:
            errors.from_problem(exc, fields)
        else:
            errors.items.append(FormError("", refusal_text(exc), errors.id_of("form")))
        return await _detail_page(
            request, user, request_id, form=form, errors=errors, open_step=step, status_code=422
        )
    request.session["flash"] = text(f"declo.{step}.done", lang)
    return RedirectResponse(f"/health-requests/{request_id}", status_code=303)
