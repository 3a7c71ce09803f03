"""The advocate's inbox and case view (the advocacy service): the cases handed to their
provider, accepted or declined, and on an accepted case the family's disagreement or appeal
recorded. What an advocate sees of a case is gated by the family's consent (Act s.69): while
it stands, the case's open clocks and its appeal window; once withdrawn or expired, nothing of
the case, and the page says why. A step the service refuses shows its reason."""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import csrf
from console.clock_status import TAG_CLASSES, clock_tag
from console.forms import FormError, FormErrors, read_date, refusal_text, value
from console.identity import SignedIn, User
from console.language import page_language, text
from console.services import ServiceProblem, services_of
from console.templating import render
from llwybr_common.wales import today_in_wales

router = APIRouter()
ABOUT = ("decision", "idp", "other")


def _row(handoff: dict[str, Any], today: date) -> dict[str, Any]:
    clocks = []
    for clock in handoff.get("clocks") or []:
        due = date.fromisoformat(clock["due"]) if clock.get("due") else None
        tag = clock_tag(clock["status"], due, today, rule=clock["rule"])
        clocks.append({**clock, "due": due, "tag": tag.value, "classes": TAG_CLASSES[tag]})
    window = handoff.get("appeal_window")
    return {**handoff, "clock_rows": clocks, "window_due": window["due"] if window else None}


async def _handoffs(request: Request, user: User) -> list[dict[str, Any]]:
    page = await services_of(request).call(
        request, user, "advocacy", "GET", "/api/v1/advocacy-handoffs", params={"limit": 200}
    )
    today = today_in_wales()
    return [_row(h, today) for h in page["items"]]


@router.get("/advocacy")
async def inbox(request: Request, user: SignedIn) -> Response:
    problem = None
    rows: list[dict[str, Any]] = []
    try:
        rows = await _handoffs(request, user)
    except ServiceProblem as exc:
        problem = exc
    return render(request, "advocacy_inbox.html", rows=rows, problem=problem)


async def _handoff(request: Request, user: User, handoff_id: str) -> dict[str, Any]:
    """One handoff of the provider's inbox; any other is a page that does not exist."""
    try:
        rows = await _handoffs(request, user)
    except ServiceProblem as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status) from exc
        raise
    handoff = next((h for h in rows if h["handoff_id"] == handoff_id), None)
    if handoff is None:
        raise HTTPException(404)
    return handoff


async def _case_page(
    request: Request,
    user: User,
    handoff_id: str,
    *,
    open_step: str | None = None,
    form: FormData | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    handoff = await _handoff(request, user, handoff_id)
    return render(
        request,
        "advocacy_case.html",
        status_code=status_code,
        h=handoff,
        mine=handoff.get("advocate") == user.subject,
        about=ABOUT,
        open_step=open_step,
        errors=errors or FormErrors(),
        no_errors=FormErrors(),
        keys={s: str(uuid.uuid4()) for s in STEPS},
        field_value=lambda name: value(form, name) if form is not None else "",
    )


@router.get("/advocacy/{handoff_id}")
async def case_view(request: Request, handoff_id: str, user: SignedIn) -> Response:
    return await _case_page(request, user, handoff_id)


def _accept(form: FormData, e: FormErrors, lang: str, user: User) -> dict[str, Any]:
    return {"advocate": user.subject}


def _decline(form: FormData, e: FormErrors, lang: str, user: User) -> dict[str, Any]:
    reason = value(form, "decline-reason")
    if not reason:
        e.add("reason", text("advocacy.decline-reason-missing", lang))
    return {"reason": reason}


def _disagreement(form: FormData, e: FormErrors, lang: str, user: User) -> dict[str, Any]:
    raised = read_date(form, "disagreement-", "raised_on", e, lang, required=True)
    about = value(form, "disagreement-about")
    if about not in ABOUT:
        e.add("about", text("field.choose-one", lang))
    resolution = value(form, "disagreement-disagreement_resolution")
    if resolution not in ("yes", "no"):
        e.add("disagreement_resolution", text("field.choose-one", lang))
    return {
        "raised_on": raised.isoformat() if raised else None,
        "about": about,
        "disagreement_resolution": resolution == "yes",
    }


def _appeal(form: FormData, e: FormErrors, lang: str, user: User) -> dict[str, Any]:
    lodged = read_date(form, "appeal-", "lodged_on", e, lang, required=True)
    return {"lodged_on": lodged.isoformat() if lodged else None}


# step -> (API path: handoff or case, form builder, the API's field names)
STEPS: dict[str, tuple[str, Any, set[str]]] = {
    "accept": ("/api/v1/advocacy-handoffs/{handoff_id}/accept", _accept, {"advocate"}),
    "decline": ("/api/v1/advocacy-handoffs/{handoff_id}/decline", _decline, {"reason"}),
    "disagreement": (
        "/api/v1/cases/{case_id}/disagreements",
        _disagreement,
        {"raised_on", "about", "disagreement_resolution"},
    ),
    "appeal": ("/api/v1/cases/{case_id}/appeals", _appeal, {"lodged_on"}),
}


@router.post("/advocacy/{handoff_id}/{step}", dependencies=[Depends(csrf.verify)])
async def take_step(request: Request, handoff_id: str, step: str, user: SignedIn) -> Response:
    if step not in STEPS:
        raise HTTPException(404)
    path, build, fields = STEPS[step]
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors(f"{step}-")
    body = build(form, errors, lang, user)
    case_id = (await _handoff(request, user, handoff_id))["case_id"]
    if not errors:
        try:
            await services_of(request).call(
                request, user, "advocacy", "POST",
                path.format(handoff_id=handoff_id, case_id=case_id),
                body=body, idempotency_key=value(form, "idempotency_key") or None,
            )  # fmt: skip
        except ServiceProblem as exc:
            if exc.status == 404 and step in ("accept", "decline"):
                raise HTTPException(404) from exc
            if exc.status == 422:
                errors.from_problem(exc, fields)
            else:  # the refusal's reason, in words (consent withdrawn, window closed, ...)
                errors.items.append(FormError("", refusal_text(exc), errors.id_of("form")))
        else:
            request.session["flash"] = text(f"advocacy.{step}.done", lang)
            return RedirectResponse(f"/advocacy/{handoff_id}", status_code=303)
    return await _case_page(
        request, user, handoff_id, open_step=step, form=form, errors=errors, status_code=422
    )
