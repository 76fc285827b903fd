"""Domain errors raised by services, turned into RFC 9457 problem details by the app.

Every refusal carries a stable ``code`` (``"job.not_assignable"``) and its ``params`` (names, numbers,
enum values) beside the English ``detail``: the apps word it in the user's language from
``error.server.<code>`` in ``shared/i18n`` (:mod:`shared.refusals`), and API clients keep reading
``detail``. ``tests/server/test_refusal_codes.py`` checks that every raise in ``server/`` passes a code
and that both catalogues hold it with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from litestar.exceptions import HTTPException


def _plain(value: Any) -> Any:
    """A parameter as JSON carries it: an enum as its value, a list item by item, else str or number."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def problem_code(code: str, **params: Any) -> dict[str, Any]:
    """The ``code`` and ``params`` members of a problem body (for a Litestar exception's ``extra``)."""
    return {"code": code, "params": {k: _plain(v) for k, v in params.items()}}


class DomainError(HTTPException):
    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        status_code: int | None = None,
        **extra: Any,
    ) -> None:
        if code is not None:  # a raise without one still answers (the scan in the tests refuses it)
            extra = {**problem_code(code, **(params or {})), **extra}
        super().__init__(detail=detail, status_code=status_code or self.status_code, extra=extra or None)
        self.code = code


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Invalid(DomainError):
    status_code = 422
