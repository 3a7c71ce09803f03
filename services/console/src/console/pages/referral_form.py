"""The new referral form: what the referral API takes, checked by the API itself (the same
validation), each error beside its field in the GOV.UK error summary pattern."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import csrf
from console.forms import FormError, FormErrors, html_name, read_date, refusal_text, value
from console.identity import SignedIn
from console.language import page_language, text
from console.services import ServiceProblem, services_of
from console.templating import render
from llwybr_contracts.learner_codes import LanguageOfEducation, YearGroup

router = APIRouter()

SOURCES = (
    "parent",
    "school",
    "early-years-setting",
    "health-body",
    "young-person",
    "social-services",
    "local-authority",
)
TYPES = ("concern", "school-referral-to-la", "direct-request", "health-notice-s64")
# The codes the statutory figures count by; not choosing one sends none (the API: unknown).
YEAR_GROUPS = tuple(y.value for y in YearGroup if y is not YearGroup.UNKNOWN)
LANGUAGES = tuple(x.value for x in LanguageOfEducation if x is not LanguageOfEducation.UNKNOWN)
FIELDS = {
    "source",
    "referral_type",
    "received_on",
    "learner.given_name",
    "learner.family_name",
    "learner.date_of_birth",
    "learner.upn",
    "learner.nhs_number",
    "learner.language_of_education",
    "learner.year_group",
    "learner.preferred_language",
    "learner.looked_after",
    "learner.looking_after_authority",
    "learner.dual_registered",
    "learner.consent.status",
    "learner.consent.date",
    "authority",
    "school.ref",
    "school.name",
    "concern",
    "referrer.name",
    "referrer.role",
    "family_contact.name",
    "family_contact.email",
    "iro_email",
}


def _v(form: FormData, field: str) -> str | None:
    return value(form, html_name("", field)) or None


def build(form: FormData, errors: FormErrors, lang: str) -> dict[str, Any]:
    """The API's body from the form; only dates are read here (three boxes each), the rest is
    the API's to judge."""
    learner: dict[str, Any] = {
        "given_name": _v(form, "learner.given_name") or "",
        "family_name": _v(form, "learner.family_name") or "",
        "date_of_birth": _iso(
            read_date(form, "", "learner.date_of_birth", errors, lang, required=True)
        ),
        "upn": _v(form, "learner.upn"),
        "nhs_number": (_v(form, "learner.nhs_number") or "").replace(" ", "") or None,
        "language_of_education": _v(form, "learner.language_of_education"),
        "year_group": _v(form, "learner.year_group"),  # left out: the API records unknown
        "preferred_language": _v(form, "learner.preferred_language") or "en",
        "looked_after": _v(form, "learner.looked_after") == "yes",
        "looking_after_authority": _v(form, "learner.looking_after_authority"),
        "dual_registered": _v(form, "learner.dual_registered") == "yes",
    }
    consent = _v(form, "learner.consent.status")
    if consent:
        on = read_date(form, "", "learner.consent.date", errors, lang, required=False)
        learner["consent"] = {"status": consent, "date": _iso(on)}
    body: dict[str, Any] = {
        "source": _v(form, "source") or "",
        "referral_type": _v(form, "referral_type") or "concern",
        "received_on": _iso(read_date(form, "", "received_on", errors, lang, required=True)),
        "learner": _drop_none(learner),
        "authority": _v(form, "authority") or "",
        "concern": _v(form, "concern") or "",
    }
    school = _drop_none({"ref": _v(form, "school.ref"), "name": _v(form, "school.name")})
    if school:
        body["school"] = school
    referrer = _drop_none({"name": _v(form, "referrer.name"), "role": _v(form, "referrer.role")})
    if referrer:
        body["referrer"] = referrer
    # Where decision notices go (the parent, or the young person); a looked-after child's IRO.
    contact = _drop_none(
        {"name": _v(form, "family_contact.name"), "email": _v(form, "family_contact.email")}
    )
    if contact:
        body["family_contact"] = contact
    if iro := _v(form, "iro_email"):
        body["iro_email"] = iro
    return body


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _iso(day: Any) -> str | None:
    return day.isoformat() if day else None


def _page(
    request: Request, form: FormData | None, errors: FormErrors, status: int = 200
) -> Response:
    user = request.session.get("user") or {}
    scopes = [s.split(":", 1)[1] for s in user.get("scopes", []) if s.startswith("la:")]
    schools = [s.split(":", 1)[1] for s in user.get("scopes", []) if s.startswith("school:")]
    defaults = {
        "authority": scopes[0] if scopes else "",
        "school-ref": schools[0] if schools else "",
    }
    return render(
        request,
        "referral_form.html",
        status_code=status,
        errors=errors,
        sources=SOURCES,
        types=TYPES,
        year_groups=YEAR_GROUPS,
        languages=LANGUAGES,
        idempotency_key=str(uuid.uuid4()),
        field_value=lambda name: value(form, name) if form is not None else defaults.get(name, ""),
    )


@router.get("/referrals/new")
async def new_referral(request: Request, user: SignedIn) -> Response:
    return _page(request, None, FormErrors())


@router.post("/referrals/new", dependencies=[Depends(csrf.verify)])
async def post_referral(request: Request, user: SignedIn) -> Response:
    form = await request.form()
    lang = page_language(request)
    errors = FormErrors()
    body = build(form, errors, lang)
    if errors:
        return _page(request, form, errors, 422)
    try:
        made = await services_of(request).call(
            request,
            user,
            "referral",
            "POST",
            "/api/v1/referrals",
            body=body,
            idempotency_key=value(form, "idempotency_key") or None,
        )
    except ServiceProblem as exc:
        if exc.status == 422:
            errors.from_problem(exc, FIELDS)
        else:
            errors.items.append(FormError("", refusal_text(exc), "form"))
        return _page(request, form, errors, 422)
    done = "referral.attached" if made.get("attached") else "referral.done"
    request.session["flash"] = text(done, lang)
    return RedirectResponse(f"/cases/{made['case_id']}", status_code=303)
