"""Domain errors raised by services, turned into RFC 9457 problem details by the app."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import HTTPException


class DomainError(HTTPException):
    status_code = 400

    def __init__(self, detail: str, *, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(detail=detail, status_code=status_code or self.status_code, extra=extra or None)


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Invalid(DomainError):
    status_code = 422
