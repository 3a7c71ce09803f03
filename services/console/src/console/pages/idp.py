"""The individual development plan (the idp service): the plans in scope, a case's plan opened
as a draft by its deciding body (Act s.11(1), s.13(1), s.14), its sections and provision items
edited (each item an outcome with the provision that serves it, Act s.10(2); vague outcomes
flagged), the plan issued, every issued version with its changes and its document (HTML or
PDF, in Welsh, English or both: Act s.22), and reviews (Act ss.23-24).

The idp service decides who may read and write; the page shows its refusal's reason."""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import csrf
from console.forms import FormError, FormErrors, read_date, refusal_text, value
from console.identity import SignedIn, User
from console.language import page_language, text
from console.services import FieldProblem, ServiceProblem, services_of
from console.templating import render
from llwybr_clock.errors import UnknownAuthorityError
from llwybr_clock.shipped import find_authority, health_boards

router = APIRouter()

# The fields of each section, as the idp service takes them (content.<field>); `contacts` is
# a list the console does not edit and sends back as it was.
SECTIONS: dict[str, tuple[str, ...]] = {
    "profile": ("liked_and_admired", "important_to_me", "how_to_support_me"),
    "aln-description": ("description", "diagnosis"),
    "administration": ("education_medium", "setting", "reasons_for_decisions", "transition"),
}
SECTION_ATTR = {"profile": "profile", "aln-description": "aln_description"}
SECTION_ATTR["administration"] = "administration"
CONTENT_LANGUAGES = ("cy", "en", "both")
ITEM_TEXT = ("outcome", "measure", "baseline", "target", "provision")
ITEM_SHORT = ("frequency", "duration", "group_size")
ITEM_DATES = ("outcome_date", "start_date", "review_date")
ITEM_FIELDS = {*ITEM_TEXT, *ITEM_SHORT, *ITEM_DATES, "welsh_delivery", "deliverer"}
ITEM_FIELDS |= {"rationale", "reason"}


def deliverers(lang: str) -> list[tuple[str, str]]:
    """Who delivers an item: the school, the authority, or an NHS body by name."""
    boards = [
        (f"nhs:{b.ons_code}", b.name_cy if lang == "cy" else b.name_en) for b in health_boards()
    ]
    return [
        ("school", text("idp.deliverer.school", lang)),
        ("la", text("idp.deliverer.la", lang)),
        *boards,
    ]


def maintainer_name(maintainer: str, lang: str) -> str:
    """`la:W06000015` -> Cardiff / Caerdydd; `school:6812345` -> School 6812345."""
    kind, _, code = maintainer.partition(":")
    if kind == "la":
        try:
            found = find_authority(code)
        except UnknownAuthorityError:
            return maintainer
        return found.name_cy if lang == "cy" else found.name_en
    return (
        text(f"idp.maintainer.{kind}", lang, ref=code) if kind in ("school", "fei") else maintainer
    )


async def _call(request: Request, user: User, method: str, path: str, **kw: Any) -> Any:
    """A call whose 403/404 is this page's: a plan out of scope does not exist here."""
    try:
        return await services_of(request).call(request, user, "idp", method, path, **kw)
    except ServiceProblem as exc:
        if exc.status in (403, 404) and method == "GET":
            raise HTTPException(exc.status) from exc
        raise


# --- the plans in scope, and a case's plan --------------------------------------------------


@router.get("/idps")
async def plans(request: Request, user: SignedIn) -> Response:
    """The plans in scope, soonest review first (the idp service's order)."""
    problem = None
    items: list[dict[str, Any]] = []
    try:
        page = await services_of(request).call(request, user, "idp", "GET", "/api/v1/idps")
        lang = page_language(request)
        items = [{**i, "maintainer": maintainer_name(i["maintainer"], lang)} for i in page["items"]]
    except ServiceProblem as exc:
        problem = exc
    return render(request, "idp_list.html", items=items, problem=problem)


async def _plan_of_case(request: Request, user: User, case_id: str) -> str | None:
    """The case's plan, if this person may see it (the idp service filters by case)."""
    page = await services_of(request).call(
        request, user, "idp", "GET", "/api/v1/idps", params={"case_id": case_id}
    )
    return next((i["idp_id"] for i in page["items"] if i["case_id"] == case_id), None)


@router.get("/cases/{case_id}/idp")
async def case_plan(request: Request, case_id: str, user: SignedIn) -> Response:
    found = await _plan_of_case(request, user, case_id)
    if found:
        return RedirectResponse(f"/idps/{found}", status_code=303)
    return _no_plan(request, case_id, FormErrors("draft-"), None)


def _no_plan(
    request: Request, case_id: str, errors: FormErrors, form: FormData | None, status: int = 200
) -> Response:
    return render(
        request,
        "idp_none.html",
        status_code=status,
        case_id=case_id,
        errors=errors,
        languages=CONTENT_LANGUAGES,
        idempotency_key=str(uuid.uuid4()),
        field_value=lambda name: value(form, name) if form is not None else "",
    )


@router.post("/cases/{case_id}/idp", dependencies=[Depends(csrf.verify)])
async def open_draft(request: Request, case_id: str, user: SignedIn) -> Response:
    form = await request.form()
    errors = FormErrors("draft-")
    language = value(form, "draft-content_language")
    if language not in CONTENT_LANGUAGES:
        errors.add("content_language", text("field.choose-one", page_language(request)))
        return _no_plan(request, case_id, errors, form, 422)
    try:
        made = await services_of(request).call(
            request, user, "idp", "POST", f"/api/v1/cases/{case_id}/idp",
            body={"content_language": language},
            idempotency_key=value(form, "idempotency_key") or None,
        )  # fmt: skip
    except ServiceProblem as exc:
        if exc.status == 409 and exc.code == "idp.exists":
            found = await _plan_of_case(request, user, case_id)
            if found:
                return RedirectResponse(f"/idps/{found}", status_code=303)
        errors.items.append(FormError("", refusal_text(exc), errors.id_of("form")))
        return _no_plan(request, case_id, errors, form, 422)
    request.session["flash"] = text("idp.draft.done", page_language(request))
    return RedirectResponse(f"/idps/{made['idp_id']}", status_code=303)


# --- one plan ---------------------------------------------------------------------------------


async def _plan_page(
    request: Request,
    user: User,
    idp_id: str,
    *,
    open_action: str | None = None,
    form: FormData | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    lang = page_language(request)
    return render(
        request,
        "idp.html",
        status_code=status_code,
        plan=plan,
        maintainer=maintainer_name(plan["maintainer"], lang),
        sections=SECTIONS,
        section_attr=SECTION_ATTR,
        deliverer_names=dict(deliverers(lang)),
        versions=list(range(plan["version"], 0, -1)),
        open_action=open_action,
        errors=errors or FormErrors(),
        no_errors=FormErrors(),
        keys={a: str(uuid.uuid4()) for a in ("issue", "review")},
        field_value=lambda name: value(form, name) if form is not None else "",
    )


@router.get("/idps/{idp_id}")
async def plan_page(request: Request, idp_id: str, user: SignedIn) -> Response:
    return await _plan_page(request, user, idp_id)


def _post_problem(exc: ServiceProblem, errors: FormErrors, known: set[str]) -> None:
    """A refusal or a 422, beside its field where the form has it."""
    if exc.status == 404:
        raise HTTPException(404) from exc
    if exc.status == 422:
        errors.from_problem(exc, known)
    else:
        errors.items.append(FormError("", refusal_text(exc), errors.id_of("form")))


@router.post("/idps/{idp_id}/issue", dependencies=[Depends(csrf.verify)])
async def issue(request: Request, idp_id: str, user: SignedIn) -> Response:
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors("issue-")
    issued_on = read_date(form, "issue-", "issued_on", errors, lang, required=False)
    body = {"issued_on": issued_on.isoformat() if issued_on else None}
    body["reason"] = value(form, "issue-reason") or None
    if not errors:
        try:
            done = await services_of(request).call(
                request, user, "idp", "POST", f"/api/v1/idps/{idp_id}/issue",
                body={k: v for k, v in body.items() if v is not None},
                idempotency_key=value(form, "idempotency_key") or None,
            )  # fmt: skip
        except ServiceProblem as exc:
            _issue_problem(exc, errors, lang)
        else:
            request.session["flash"] = text("idp.issue.done", lang, version=done["version"])
            return RedirectResponse(f"/idps/{idp_id}", status_code=303)
    return await _plan_page(
        request, user, idp_id, open_action="issue", form=form, errors=errors, status_code=422
    )


def _issue_problem(exc: ServiceProblem, errors: FormErrors, lang: str) -> None:
    """What the plan lacks before it may be issued (a section, the provision), each linked to
    its part of the page; anything else as the form's refusal."""
    parts = {attr: section for section, attr in SECTION_ATTR.items()}
    for e in exc.errors if exc.status == 422 else []:
        if e.field in parts:
            title = text(f"idp.section.{parts[e.field]}", lang)
            errors.items.append(
                FormError(e.field, f"{title}: {e.reason}", f"section-{parts[e.field]}")
            )
        elif e.field == "provision":
            title = text("idp.provision", lang)
            errors.items.append(FormError(e.field, f"{title}: {e.reason}", "provision"))
    exc.errors = [e for e in exc.errors if e.field not in parts and e.field != "provision"]
    if exc.errors or not errors:
        _post_problem(exc, errors, {"issued_on", "reason"})


@router.post("/idps/{idp_id}/reviews", dependencies=[Depends(csrf.verify)])
async def review(request: Request, idp_id: str, user: SignedIn) -> Response:
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors("review-")
    held_on = read_date(form, "review-", "held_on", errors, lang, required=True)
    revised = value(form, "review-revised")
    if revised not in ("yes", "no"):
        errors.add("revised", text("field.choose-one", lang))
    if not errors:
        body = {
            "held_on": held_on.isoformat() if held_on else None,
            "revised": revised == "yes",
            "changes": value(form, "review-changes") or None,
        }
        try:
            await services_of(request).call(
                request, user, "idp", "POST", f"/api/v1/idps/{idp_id}/reviews",
                body={k: v for k, v in body.items() if v is not None},
                idempotency_key=value(form, "idempotency_key") or None,
            )  # fmt: skip
        except ServiceProblem as exc:
            _post_problem(exc, errors, {"held_on", "revised", "changes"})
        else:
            request.session["flash"] = text("idp.review.done", lang)
            return RedirectResponse(f"/idps/{idp_id}", status_code=303)
    return await _plan_page(
        request, user, idp_id, open_action="review", form=form, errors=errors, status_code=422
    )


# --- a section ----------------------------------------------------------------------------------


def _section_page(
    request: Request,
    plan: dict[str, Any],
    section: str,
    values: dict[str, str],
    errors: FormErrors,
    status: int = 200,
) -> Response:
    return render(
        request,
        "idp_section.html",
        status_code=status,
        plan=plan,
        section=section,
        fields=SECTIONS[section],
        languages=CONTENT_LANGUAGES,
        errors=errors,
        idempotency_key=str(uuid.uuid4()),
        field_value=lambda name: values.get(name, ""),
    )


@router.get("/idps/{idp_id}/sections/{section}")
async def section_form(request: Request, idp_id: str, section: str, user: SignedIn) -> Response:
    if section not in SECTIONS:
        raise HTTPException(404)
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    content = plan[SECTION_ATTR[section]]
    values = {f"section-{k}": str(content.get(k) or "") for k in SECTIONS[section]}
    values["section-content_language"] = plan["content_language"]
    return _section_page(request, plan, section, values, FormErrors("section-"))


@router.post("/idps/{idp_id}/sections/{section}", dependencies=[Depends(csrf.verify)])
async def save_section(request: Request, idp_id: str, section: str, user: SignedIn) -> Response:
    if section not in SECTIONS:
        raise HTTPException(404)
    form = await request.form()
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    content: dict[str, Any] = {k: value(form, f"section-{k}") or None for k in SECTIONS[section]}
    if section == "administration":
        content["contacts"] = plan["administration"].get("contacts") or []
        if (chosen := value(form, "section-content_language")) in CONTENT_LANGUAGES:
            content["content_language"] = chosen
    errors = FormErrors("section-")
    try:
        await services_of(request).call(
            request, user, "idp", "PUT", f"/api/v1/idps/{idp_id}/sections/{section}",
            body={"content": content, "reason": value(form, "section-reason") or None},
        )  # fmt: skip
    except ServiceProblem as exc:
        known = {*SECTIONS[section], "content_language", "reason"}
        _post_problem(_unprefixed(exc, "content."), errors, known)
        values = {k: value(form, k) for k in form if isinstance(form[k], str)}
        return _section_page(request, plan, section, values, errors, 422)
    request.session["flash"] = text("idp.section.done", page_language(request))
    return RedirectResponse(f"/idps/{idp_id}#section-{section}", status_code=303)


def _unprefixed(exc: ServiceProblem, prefix: str) -> ServiceProblem:
    exc.errors = [FieldProblem(e.field.removeprefix(prefix), e.code, e.reason) for e in exc.errors]
    return exc


# --- a provision item ---------------------------------------------------------------------------


def _item_values(item: dict[str, Any]) -> dict[str, str]:
    values = {f"item-{k}": str(item.get(k) or "") for k in (*ITEM_TEXT, *ITEM_SHORT, "rationale")}
    values["item-deliverer"] = item.get("deliverer") or ""
    values["item-welsh_delivery"] = "yes" if item.get("welsh_delivery") else "no"
    for name in ITEM_DATES:
        if item.get(name):
            day = date.fromisoformat(item[name])
            parts = {"day": day.day, "month": day.month, "year": day.year}
            values.update({f"item-{name}-{k}": str(v) for k, v in parts.items()})
    return values


def _item_body(form: FormData, errors: FormErrors, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        k: value(form, f"item-{k}") or None for k in (*ITEM_TEXT, *ITEM_SHORT, "rationale")
    }
    body["outcome"] = body["outcome"] or ""
    body["provision"] = body["provision"] or ""
    for name in ITEM_DATES:
        day = read_date(form, "item-", name, errors, lang, required=False)
        body[name] = day.isoformat() if day else None
    body["welsh_delivery"] = value(form, "item-welsh_delivery") == "yes"
    body["deliverer"] = value(form, "item-deliverer")
    body["reason"] = value(form, "item-reason") or None
    return {k: v for k, v in body.items() if v is not None}


def _item_page(
    request: Request,
    plan: dict[str, Any],
    item: dict[str, Any] | None,
    values: dict[str, str],
    errors: FormErrors,
    status: int = 200,
) -> Response:
    return render(
        request,
        "idp_item.html",
        status_code=status,
        plan=plan,
        item=item,
        deliverers=deliverers(page_language(request)),
        errors=errors,
        idempotency_key=str(uuid.uuid4()),
        field_value=lambda name: values.get(name, ""),
    )


def _find_item(plan: dict[str, Any], item_id: str) -> dict[str, Any]:
    item = next((i for i in plan["provision"] if i["item_id"] == item_id), None)
    if item is None:
        raise HTTPException(404)
    return item


@router.get("/idps/{idp_id}/provision/new")
async def new_item(request: Request, idp_id: str, user: SignedIn) -> Response:
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    defaults = {"item-deliverer": "school", "item-welsh_delivery": "no"}
    return _item_page(request, plan, None, defaults, FormErrors("item-"))


@router.get("/idps/{idp_id}/provision/{item_id}")
async def edit_item(request: Request, idp_id: str, item_id: str, user: SignedIn) -> Response:
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    item = _find_item(plan, item_id)
    return _item_page(request, plan, item, _item_values(item), FormErrors("item-"))


@router.post("/idps/{idp_id}/provision/{item_id}", dependencies=[Depends(csrf.verify)])
async def save_item(request: Request, idp_id: str, item_id: str, user: SignedIn) -> Response:
    """`new` adds an item (POST); any other id replaces that item (PUT)."""
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors("item-")
    body = _item_body(form, errors, lang)
    if not errors:
        new = item_id == "new"
        path = f"/api/v1/idps/{idp_id}/provision" + ("" if new else f"/{item_id}")
        try:
            await services_of(request).call(
                request, user, "idp", "POST" if new else "PUT", path, body=body,
                idempotency_key=(value(form, "idempotency_key") or None) if new else None,
            )  # fmt: skip
        except ServiceProblem as exc:
            _post_problem(exc, errors, ITEM_FIELDS)
        else:
            request.session["flash"] = text("idp.item.done", lang)
            return RedirectResponse(f"/idps/{idp_id}#provision", status_code=303)
    plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
    item = None if item_id == "new" else _find_item(plan, item_id)
    values = {k: value(form, k) for k in form if isinstance(form[k], str)}
    return _item_page(request, plan, item, values, errors, 422)


@router.post("/idps/{idp_id}/provision/{item_id}/delete", dependencies=[Depends(csrf.verify)])
async def delete_item(request: Request, idp_id: str, item_id: str, user: SignedIn) -> Response:
    form = await request.form()
    errors = FormErrors("item-")
    try:
        await services_of(request).call(
            request, user, "idp", "DELETE", f"/api/v1/idps/{idp_id}/provision/{item_id}",
            params={"reason": value(form, "delete-reason") or None},
        )  # fmt: skip
    except ServiceProblem as exc:
        _post_problem(exc, errors, set())
        plan = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}")
        item = _find_item(plan, item_id)
        return _item_page(request, plan, item, _item_values(item), errors, 422)
    request.session["flash"] = text("idp.item.deleted", page_language(request))
    return RedirectResponse(f"/idps/{idp_id}#provision", status_code=303)


# --- issued versions ----------------------------------------------------------------------------


@router.get("/idps/{idp_id}/versions/{n}")
async def version_page(request: Request, idp_id: str, n: int, user: SignedIn) -> Response:
    if n < 1:
        raise HTTPException(404)
    version = await _call(request, user, "GET", f"/api/v1/idps/{idp_id}/versions/{n}")
    return render(request, "idp_version.html", version=version, idp_id=idp_id)


@router.get("/idps/{idp_id}/versions/{n}/document")
async def document(
    request: Request, idp_id: str, n: int, user: SignedIn, format: str = "pdf", lang: str = ""
) -> Response:
    """The issued version's document from the idp service, passed on (never stored here)."""
    if n < 1 or format not in ("pdf", "html") or lang not in ("", *CONTENT_LANGUAGES):
        raise HTTPException(404)
    try:
        answer = await services_of(request).document(
            request, user, "idp", f"/api/v1/idps/{idp_id}/versions/{n}/document",
            {"format": format, **({"lang": lang} if lang else {})},
        )  # fmt: skip
    except ServiceProblem as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status) from exc
        raise
    headers = {"Cache-Control": "no-store"}  # a child's plan: never kept by a shared browser
    if disposition := answer.headers.get("content-disposition"):
        headers["Content-Disposition"] = disposition
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)
