"""Domain errors: what service code raises when it cannot do what was asked.

Service code never raises HTTP errors. Each error carries a stable `code` (a message id in the
catalogues: `problem.<code>.title` and `problem.<code>.detail`, in Welsh and English) and its
parameters (ids, codes and dates only); one handler in `problems.py` turns it into RFC 9457
problem+json in the caller's language. The class sets the HTTP status.
"""

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400

    def __init__(
        self,
        code: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.params = params  # filled into the catalogue's title and detail
        self.headers = headers or {}
        self.errors = errors  # field-level reasons, for 422s
        self.extra = extra or {}  # further members of the problem body (ids, links)


class BadRequest(DomainError):
    status = 400


class AccessDenied(DomainError):
    """The caller may see the record but not do this to it (403)."""

    status = 403


class NotFound(DomainError):
    """No such record, or one the caller may not see: the same answer for both (404)."""

    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """The request is well formed but its content is not acceptable (422)."""

    status = 422


class Unavailable(DomainError):
    """A dependency (the journey, PostgreSQL, another service) cannot answer now (503)."""

    status = 503
