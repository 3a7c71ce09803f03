"""RFC 9457 problem details (`application/problem+json`) for every HTTP error, in one place.

Service code raises `DomainError`s (errors.py); the framework raises its own validation and
routing errors. Each becomes one body shape:

    {"type": ".../problems/<code>", "code": "<code>", "status": 409, "title": "...",
     "detail": "...", "instance": "/api/v1/...", "errors": [{"field", "code", "reason"[, "bound"]}], ...}

`code` is stable and the same in every language; `title`, `detail` and each `reason` come from
the message catalogues in the language `Accept-Language` asks for (i18n.py): Welsh, English,
or with no preference both, Welsh first (`"Heb ei ganfod / Not found"`), with
`Content-Language` saying which.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from llwybr_common.errors import DomainError, FieldError
from llwybr_common.i18n import SEPARATOR, Lang, choose_language, lookup

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://llwybr.example/problems/"

# pydantic's error types -> the catalogue's field reason codes (`field.<code>`); any other type
# keeps pydantic's English message, with the type itself as the code.
PYDANTIC_REASONS = {
    "missing": "missing",
    "string_too_short": "string-too-short",
    "string_too_long": "string-too-long",
    "string_pattern_mismatch": "pattern-mismatch",
    "string_type": "string-type",
    "date_parsing": "date-parsing",
    "date_from_datetime_parsing": "date-parsing",
    "date_from_datetime_inexact": "date-parsing",
    "date_type": "date-parsing",
    "enum": "enum",
    "literal_error": "enum",
    "int_parsing": "int-parsing",
    "int_type": "int-parsing",
    "int_from_float": "int-parsing",
    "bool_parsing": "bool-parsing",
    "bool_type": "bool-parsing",
    "extra_forbidden": "extra-forbidden",
    "greater_than_equal": "too-small",
    "less_than_equal": "too-large",
    "model_attributes_type": "object-expected",
    "dict_type": "object-expected",
    "model_type": "object-expected",
    "json_invalid": "json-invalid",
    "list_type": "list-expected",
}


def request_language(request: Request) -> Lang:
    return choose_language(request.headers.get("accept-language"))


def _text(msgid: str, lang: str, params: dict[str, Any], fallback: str) -> str:
    return lookup(msgid, lang, params) or fallback


def _render(
    lang: str, code: str, params: dict[str, Any], errors: list[FieldError], fallback: str
) -> tuple[str, str, list[str]]:
    """Title, detail and each field's reason in one language (`cy` or `en`)."""
    title = _text(f"problem.{code}.title", lang, params, fallback or code)
    reasons = [
        _text(f"field.{e.code}", lang, {**e.params, "field": e.field}, e.message or e.code)
        for e in errors
    ]
    if errors:
        detail = "; ".join(f"{e.field}: {r}" for e, r in zip(errors, reasons, strict=True))
    else:
        detail = _text(f"problem.{code}.detail", lang, params, fallback)
    return title, detail, reasons


def problem_body(
    lang: Lang,
    status: int,
    code: str,
    *,
    params: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    fallback: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json body for `code` in `lang`; `fallback` is English for a code the
    catalogues do not know (the framework's own, a journey's reason before it had a code)."""
    params, errors = params or {}, errors or []
    if lang is Lang.BOTH:
        cy, en = (_render(one, code, params, errors, fallback) for one in ("cy", "en"))
        title, detail = (_both(c, e) for c, e in zip(cy[:2], en[:2], strict=True))
        reasons = [_both(c, e) for c, e in zip(cy[2], en[2], strict=True)]
    else:
        title, detail, reasons = _render(lang.value, code, params, errors, fallback)
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "code": code,
        "status": status,
        "title": title,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [
            {"field": e.field, "code": e.code, "reason": reason}
            # a date refused against a bound names the bound (e.g. the referral's date)
            | ({"bound": str(e.params["bound"])} if "bound" in e.params else {})
            for e, reason in zip(errors, reasons, strict=True)
        ]
    body.update(extra or {})
    return body


def _both(cy: str, en: str) -> str:
    return cy if cy == en or not en else f"{cy}{SEPARATOR}{en}" if cy else en


def problem_response(
    request: Request,
    status: int,
    code: str,
    *,
    params: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    fallback: str = "",
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    lang = request_language(request)
    body = problem_body(
        lang,
        status,
        code,
        params=params,
        errors=errors,
        instance=request.url.path,
        fallback=fallback,
        extra=extra,
    )
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), "Content-Language": lang.content_language},
    )


def field_error_of(error: Any) -> FieldError:
    """A pydantic (or FastAPI request) validation error as a catalogue field reason."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    kind = str(error.get("type", "invalid"))
    params = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
    return FieldError(
        where, PYDANTIC_REASONS.get(kind, kind), params, message=str(error.get("msg", kind))
    )


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else str(value)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.code,
            params=exc.params,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [field_error_of(e) for e in exc.errors()]
        return problem_response(request, 422, "validation", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The framework's own: no route (404), wrong method (405).
        return problem_response(
            request,
            exc.status_code,
            f"http-{exc.status_code}",
            headers=getattr(exc, "headers", None),
            fallback=str(exc.detail) if exc.detail else "Error",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(request, 500, "internal-error")
