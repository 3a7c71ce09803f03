"""Calendar admin on the journey's calendar API (the worker): upload an authority's or a
school's calendar (CSV or iCalendar), see the school days it adds and removes and the school
days per term, then confirm the import. Nothing is stored until Confirm; the file's text rides
in the confirm form so the import is exactly what was previewed.

Who sees the page: an LA's officers and managers and a school's ALNCo; the API decides who may
change which calendar (403 with its reason, shown as the form's error)."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from console import csrf
from console.forms import FormError, FormErrors, refusal_text, value
from console.identity import SignedIn, User
from console.language import page_language, text
from console.services import ServiceProblem, services_of
from console.templating import render
from llwybr_clock.shipped import authorities

router = APIRouter()
ROLES = ("la-officer", "la-manager", "head-of-service", "school-alnco")
FIELDS = {"authority", "school", "format", "calendar"}
MAX_FILE_BYTES = 500_000  # the API's limit on a calendar's text


def _may_use(user: User) -> None:
    if not user.has_role(*ROLES):
        raise HTTPException(403)


def _authority_options(lang: str) -> list[tuple[str, str]]:
    return [(a.ons_code, a.name_cy if lang == "cy" else a.name_en) for a in authorities()]


def _defaults(user: User) -> dict[str, str]:
    """The person's own authority and school, chosen for them in the form."""
    las, schools = user.scoped("la"), user.scoped("school")
    return {"authority": las[0] if len(las) == 1 else "", "school": schools[0] if schools else ""}


async def _form_page(
    request: Request,
    user: User,
    *,
    fields: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    lang = page_language(request)
    chosen = fields or _defaults(user)
    current = None
    if chosen.get("authority"):
        try:
            current = await services_of(request).call(
                request, user, "worker", "GET", f"/api/v1/calendars/{chosen['authority']}",
                params={"school": chosen.get("school") or None, "limit": 10},
            )  # fmt: skip
        except ServiceProblem:
            current = None  # the form still works; the preview says what is there now
    return render(
        request,
        "calendars.html",
        status_code=status_code,
        errors=errors or FormErrors(),
        authority_options=_authority_options(lang),
        field_value=lambda name: chosen.get(name, ""),
        current=current,
    )


@router.get("/calendars")
async def calendars(request: Request, user: SignedIn, authority: str = "") -> Response:
    _may_use(user)
    fields = {**_defaults(user), **({"authority": authority} if authority else {})}
    return await _form_page(request, user, fields=fields)


async def _upload(form: FormData, errors: FormErrors, lang: str) -> dict[str, Any]:
    """The API's body from the upload form: the file's text, its format from the choice or
    else the file's name."""
    body: dict[str, Any] = {
        "authority": value(form, "authority"),
        "school": value(form, "school") or None,
        "format": value(form, "format"),
        "calendar": "",
    }
    upload = form.get("calendar")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("calendar", text("calendars.file-missing", lang))
        return body
    raw = await upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        errors.add("calendar", text("calendars.file-too-large", lang))
        return body
    try:
        body["calendar"] = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add("calendar", text("calendars.file-not-text", lang))
        return body
    if not body["format"]:
        suffix = upload.filename.rsplit(".", 1)[-1].lower()
        body["format"] = suffix if suffix in ("csv", "ics") else ""
    if not body["authority"]:
        errors.add("authority", text("calendars.authority-missing", lang))
    if not body["format"]:
        errors.add("format", text("calendars.format-missing", lang))
    return body


def _problem_into(errors: FormErrors, exc: ServiceProblem) -> None:
    if exc.status == 422:
        errors.from_problem(exc, FIELDS)
    else:
        errors.items.append(FormError("", refusal_text(exc), errors.id_of("form")))


@router.post("/calendars/preview", dependencies=[Depends(csrf.verify)])
async def preview(request: Request, user: SignedIn) -> Response:
    _may_use(user)
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors()
    body = await _upload(form, errors, lang)
    fields = {k: value(form, k) for k in ("authority", "school", "format")}
    if errors:
        return await _form_page(request, user, fields=fields, errors=errors, status_code=422)
    try:
        found = await services_of(request).call(
            request, user, "worker", "POST", "/api/v1/calendars/preview", body=body
        )
    except ServiceProblem as exc:
        if exc.status not in (403, 422):
            raise
        _problem_into(errors, exc)
        return await _form_page(request, user, fields=fields, errors=errors, status_code=422)
    return render(
        request,
        "calendar_preview.html",
        preview=found,
        upload=body,
        idempotency_key=str(uuid.uuid4()),
        authority_name=found["authority_name_cy" if lang == "cy" else "authority_name_en"],
    )


@router.post("/calendars/confirm", dependencies=[Depends(csrf.verify)])
async def confirm(request: Request, user: SignedIn) -> Response:
    _may_use(user)
    form = await request.form()
    lang = page_language(request)
    body = {
        "authority": value(form, "authority"),
        "school": value(form, "school") or None,
        "format": value(form, "format"),
        "calendar": form.get("calendar") if isinstance(form.get("calendar"), str) else "",
    }
    try:
        imported = await services_of(request).call(
            request, user, "worker", "POST", "/api/v1/calendars", body=body,
            idempotency_key=value(form, "idempotency_key") or None,
        )  # fmt: skip
    except ServiceProblem as exc:
        if exc.status not in (403, 422):
            raise
        errors = FormErrors()
        _problem_into(errors, exc)
        fields = {k: value(form, k) for k in ("authority", "school", "format")}
        return await _form_page(request, user, fields=fields, errors=errors, status_code=422)
    request.session["flash"] = text(
        "calendars.imported", lang, version=imported["calendar_version"]
    )
    return RedirectResponse(f"/calendars?authority={imported['authority']}", status_code=303)
