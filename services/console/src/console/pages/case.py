"""The case page: who the learner is, every clock (due date, days remaining, why it is paused
or lifted), the timeline, and the steps this person may take now, each a form that posts the
command to the referral service and shows a refusal's reason."""

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import csrf
from console.case_actions import REASONS, REQUESTERS, STEPS, Step, allowed_steps, may_withdraw
from console.clock_status import TAG_CLASSES, clock_tag, days_remaining
from console.forms import FormErrors, refusal_text, value
from console.identity import SignedIn, User
from console.language import has_text, page_language, text
from console.services import ServiceProblem, services_of
from console.templating import render
from console.timeline_text import describe
from llwybr_common.wales import today_in_wales

router = APIRouter()


async def _load(request: Request, user: User, case_id: str) -> dict[str, Any]:
    try:
        case: dict[str, Any] = await services_of(request).call(
            request, user, "referral", "GET", f"/api/v1/cases/{case_id}"
        )
    except ServiceProblem as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status) from exc
        raise
    return case


def clock_rows(case: dict[str, Any], today: date, lang: str) -> list[dict[str, Any]]:
    rows = []
    for clock in case.get("clocks", []):
        due = date.fromisoformat(clock["due"]) if clock.get("due") else None
        warnings = [date.fromisoformat(w) for w in clock.get("warnings", [])]
        tag = clock_tag(clock["status"], due, today, rule=clock["rule"], warnings=warnings)
        rows.append(
            {
                "rule": clock["rule"],
                "tag": tag.value,
                "classes": TAG_CLASSES[tag],
                "start": date.fromisoformat(clock["start"]),
                "due": due,
                "days": days_remaining(due, today) if clock["status"] == "running" else None,
                "met_on": date.fromisoformat(clock["met_on"]) if clock.get("met_on") else None,
                "paused_days": clock.get("paused_days", 0),
                "why": why_changed(case, clock["rule"], lang)
                if clock["status"] in ("paused", "lifted")
                else None,
            }
        )
    return rows


def why_changed(case: dict[str, Any], rule: str, lang: str) -> str | None:
    """The legal reason of the latest pause or lift of this clock, in words. The timeline's
    detail for a `ClockChanged` is `<rule> <change> due <date> because <reason code>`."""
    for entry in reversed(case.get("timeline", [])):
        detail = entry.get("detail", "")
        if entry.get("kind") == "ClockChanged" and detail.startswith(f"{rule} "):
            _, _, code = detail.partition(" because ")
            if not code:
                return None
            return text(f"reason.{code}", lang) if has_text(f"reason.{code}") else code
    return None


def timeline_rows(case: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    rows = []
    for entry in reversed(case.get("timeline", [])):
        kind = entry.get("kind", "")
        rows.append(
            {
                "on": datetime.fromisoformat(entry["at"]).date(),
                "kind": text(f"timeline.{kind}", lang) if has_text(f"timeline.{kind}") else kind,
                "detail": describe(kind, entry.get("detail", ""), lang),
            }
        )
    return rows


async def health_answers(
    request: Request, user: User, case: dict[str, Any]
) -> list[dict[str, Any]]:
    """The NHS bodies' answers to this case's s.20 requests, as health-liaison shows them to
    the case's officers (the outcome and the Welsh-delivery advice, never clinical notes); a
    request it cannot show now is left out rather than failing the page."""
    answers = []
    for clock in case.get("clocks", []):
        if clock["rule"] != "health-response" or not clock.get("subject"):
            continue
        try:
            answers.append(
                await services_of(request).call(
                    request,
                    user,
                    "health-liaison",
                    "GET",
                    f"/api/v1/health-requests/{clock['subject']}",
                )
            )
        except ServiceProblem:
            continue
    return answers


async def _page(
    request: Request,
    user: User,
    case_id: str,
    *,
    status_code: int = 200,
    open_action: str | None = None,
    form: FormData | None = None,
    errors: FormErrors | None = None,
    withdraw_errors: FormErrors | None = None,
    withdraw_open: str | None = None,
) -> Response:
    case = await _load(request, user, case_id)
    lang = page_language(request)
    today = today_in_wales()
    steps = allowed_steps(user, case)
    open_rules = [c["rule"] for c in case.get("clocks", []) if c["status"] in ("running", "paused")]
    return render(
        request,
        "case.html",
        status_code=status_code,
        case=case,
        clocks=clock_rows(case, today, lang),
        health=await health_answers(request, user, case),
        timeline=timeline_rows(case, lang),
        steps=steps,
        open_action=open_action,
        form=form,
        errors=errors or FormErrors(),
        no_errors=FormErrors(),
        today=today,
        open_rules=open_rules,
        reasons=REASONS,
        requesters=REQUESTERS,
        keys={s.action.value: str(uuid.uuid4()) for s in steps},
        withdraw_key=str(uuid.uuid4()),
        may_withdraw=may_withdraw(user, case),
        withdraw_errors=withdraw_errors or FormErrors("withdraw-"),
        withdraw_open=withdraw_open,
        field_value=lambda name: value(form, name) if form is not None else "",
    )


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, user: SignedIn) -> Response:
    return await _page(request, user, case_id)


@router.post("/cases/{case_id}/actions/{action}", dependencies=[Depends(csrf.verify)])
async def take_step(request: Request, case_id: str, action: str, user: SignedIn) -> Response:
    step: Step | None = STEPS.get(action)
    if step is None:
        raise HTTPException(404)
    form = await request.form()
    lang = page_language(request)
    prefix = f"{action}-"
    errors = FormErrors(prefix)
    body = step.build(form, prefix, errors, lang)
    if not errors:
        try:
            await services_of(request).call(
                request,
                user,
                "referral",
                "POST",
                f"/api/v1/cases/{case_id}/{step.path}",
                body={k: v for k, v in body.items() if v is not None},
                idempotency_key=value(form, "idempotency_key") or None,
            )
        except ServiceProblem as exc:
            if exc.status == 404:
                raise HTTPException(404) from exc
            if exc.status == 422:
                errors.from_problem(exc, set(step.fields))
            else:  # a refusal (403, 409) or the journey unavailable (503): its reason, in words
                errors.items.append(_refusal(exc, errors))
        else:
            request.session["flash"] = text(f"action.{action}.done", lang)
            return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return await _page(
        request, user, case_id, status_code=422, open_action=action, form=form, errors=errors
    )


def _refusal(problem: ServiceProblem, errors: FormErrors) -> Any:
    from console.forms import FormError

    return FormError("", refusal_text(problem), errors.id_of("form"))


@router.post(
    "/cases/{case_id}/health-requests/{request_id}/withdraw", dependencies=[Depends(csrf.verify)]
)
async def withdraw_health_request(
    request: Request, case_id: str, request_id: str, user: SignedIn
) -> Response:
    """Withdraw an s.20 request the case no longer needs answered: the journey stops its clock
    and health-liaison closes the request."""
    form = await request.form()
    errors = FormErrors(f"withdraw-{request_id}-")
    try:
        await services_of(request).call(
            request, user, "referral", "POST",
            f"/api/v1/cases/{case_id}/health-requests/{request_id}/withdraw",
            body={"note": value(form, f"withdraw-{request_id}-note") or None},
            idempotency_key=value(form, "idempotency_key") or None,
        )  # fmt: skip
    except ServiceProblem as exc:
        if exc.status == 404:
            raise HTTPException(404) from exc
        errors.items.append(_refusal(exc, errors))
        return await _page(
            request, user, case_id, status_code=422, form=form,
            withdraw_errors=errors, withdraw_open=request_id,
        )  # fmt: skip
    request.session["flash"] = text("health.withdraw.done", page_language(request))
    return RedirectResponse(f"/cases/{case_id}#health", status_code=303)
