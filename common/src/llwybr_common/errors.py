"""Domain errors: what service code raises when it cannot do what was asked.

Service code never raises HTTP errors. Each error carries a stable `code` (a message id in the
catalogues: `problem.<code>.title` and `problem.<code>.detail`, in Welsh and English) and its
parameters (ids, codes and dates only); one handler in `problems.py` turns it into RFC 9457
problem+json in the caller's language. The class sets the HTTP status.
"""

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One bad field of a request: where, a stable reason code (`field.<code>` in the
    catalogues) with its parameters, and an English text for a code the catalogues lack."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    message: str = ""


class DomainError(Exception):
    status: ClassVar[int] = 400

    def __init__(
        self,
        code: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.params = params  # filled into the catalogue's title and detail
        self.headers = headers or {}
        self.errors = errors or []  # field-level reasons, for 422s
        self.extra = extra or {}  # further members of the problem body (ids, links)


class BadRequest(DomainError):
    status = 400


class Unauthenticated(DomainError):
    """No credentials, or ones that cannot be trusted (401)."""

    status = 401

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, headers={"WWW-Authenticate": 'Bearer realm="llwybr"'}, **params)


class AccessDenied(DomainError):
    """The caller may see the record but not do this to it (403)."""

    status = 403


class NotFound(DomainError):
    """No such record, or one the caller may not see: the same answer for both (404)."""

    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """The request is well formed but its content is not acceptable (422): one answer naming
    every bad field, each with its reason."""

    status = 422

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("validation", errors=list(errors))


class Unavailable(DomainError):
    """A dependency (the journey, PostgreSQL, another service) cannot answer now (503)."""

    status = 503
