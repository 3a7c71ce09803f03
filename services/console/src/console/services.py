"""Calling the services' APIs for the signed-in person: their bearer token, the page's language
(so a problem's title, detail and field reasons come back in it) and, on a POST, the form's
Idempotency-Key (a double-clicked button is one command)."""

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

from console.identity import User, bearer
from console.language import page_language

TIMEOUT = 20.0
DOCUMENT_TIMEOUT = 90.0  # a PDF is rendered on request


@dataclass
class FieldProblem:
    field: str
    code: str
    reason: str


@dataclass
class ServiceProblem(Exception):
    """A service answered with problem+json (or could not be reached: status 503)."""

    status: int
    code: str
    title: str
    detail: str = ""
    errors: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}"


class Services:
    """One HTTP client for every service, by name (`referral`, `health-liaison`, ...)."""

    def __init__(self, urls: dict[str, str], transport: httpx.AsyncBaseTransport | None = None):
        self.urls = urls
        self.client = httpx.AsyncClient(timeout=TIMEOUT, transport=transport)

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        request: Request,
        user: User,
        service: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        base = self.urls.get(service)
        if not base:
            raise ServiceProblem(503, "service-not-configured", service)
        headers = {
            "Authorization": f"Bearer {bearer(request, user)}",
            "Accept-Language": page_language(request),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.client.request(
                method, base + path, params=query, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceProblem(503, "service-unreachable", service, type(exc).__name__) from exc
        if response.status_code >= 400:
            raise problem_of(response)
        return response.json() if response.content else None

    async def document(
        self, request: Request, user: User, service: str, path: str, params: dict[str, Any]
    ) -> httpx.Response:
        """A GET whose answer is not JSON (a PDF, an HTML document), passed on as it comes."""
        base = self.urls.get(service)
        if not base:
            raise ServiceProblem(503, "service-not-configured", service)
        headers = {
            "Authorization": f"Bearer {bearer(request, user)}",
            "Accept-Language": page_language(request),
        }
        try:
            response = await self.client.get(
                base + path, params=params, headers=headers, timeout=DOCUMENT_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise ServiceProblem(503, "service-unreachable", service, type(exc).__name__) from exc
        if response.status_code >= 400:
            raise problem_of(response)
        return response


def problem_of(response: httpx.Response) -> ServiceProblem:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return ServiceProblem(
        status=response.status_code,
        code=str(data.get("code", response.status_code)),
        title=str(data.get("title", response.reason_phrase)),
        detail=str(data.get("detail", "")),
        errors=[
            FieldProblem(str(e.get("field", "")), str(e.get("code", "")), str(e.get("reason", "")))
            for e in data.get("errors", [])
            if isinstance(e, dict)
        ],
    )


def services_of(request: Request) -> Services:
    s: Services = request.app.state.services
    return s
