"""What the customer's contract panels and the manager's decision decide without a browser: who may do
what, and the request bodies of the forms (customer, contract, promise, decision), each checked before
it is sent. The plan counts promises in hours ("XX小时"); the API keeps minutes. A form error is a
catalogue key (``console.logic.customers.FormError``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from console.logic.customers import FormError
from shared.roles import Capability, can

#: hours a promise may give (the API allows up to 60 days)
MAX_HOURS = 24 * 60


def can_edit_customers(role: str) -> bool:
    return can(role, Capability.MANAGE_CUSTOMERS)


def can_manage_contracts(role: str) -> bool:
    return can(role, Capability.MANAGE_CONTRACTS)


def can_decide_as_manager(role: str) -> bool:
    return can(role, Capability.DECIDE_AS_MANAGER)


def customer_changes(customer: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """The fields that differ from the customer as loaded (only those are sent); a name is required."""
    if "name" in fields and not fields["name"].strip():
        raise FormError("console.contracts.need_name")
    return {k: v.strip() for k, v in fields.items() if v.strip() != (customer.get(k) or "")}


def _day(text: str, key: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as exc:
        raise FormError(key) from exc


def contract_body(
    customer_id: str, number: str, starts_on: str, ends_on: str, years: str, promise_text: str
) -> dict[str, Any]:
    if not number.strip():
        raise FormError("console.contracts.need_number")
    start = _day(starts_on, "console.contracts.bad_date")
    end = _day(ends_on, "console.contracts.bad_date") if ends_on.strip() else None
    if end is not None and end < start:
        raise FormError("console.contracts.end_before_start")
    try:
        warranty = int(years.strip() or "2")
    except ValueError as exc:
        raise FormError("console.contracts.bad_years") from exc
    if not 0 <= warranty <= 30:
        raise FormError("console.contracts.bad_years")
    return {
        "customer_id": customer_id,
        "number": number.strip(),
        "starts_on": start,
        "ends_on": end,
        "warranty_years": warranty,
        "promise_text": promise_text.strip(),
    }


def _minutes(hours: str) -> int:
    try:
        value = Decimal(hours.strip())
    except InvalidOperation as exc:
        raise FormError("console.contracts.bad_hours") from exc
    if not value.is_finite() or not 0 < value <= MAX_HOURS:
        raise FormError("console.contracts.bad_hours")
    minutes = value * 60
    if minutes != minutes.to_integral_value():
        raise FormError("console.contracts.bad_hours")
    return int(minutes)


def promise_body(
    severity: str, category: str, job_kind: str, respond: str, onsite: str, fix: str, backup: str
) -> dict[str, Any]:
    """A promise from hours; an empty severity, category or kind covers all."""
    r, o, f, b = (_minutes(h) for h in (respond, onsite, fix, backup))
    if not r <= o <= f:
        raise FormError("console.contracts.unordered")
    return {
        "severity": severity or None,
        "category": category or None,
        "job_kind": job_kind or None,
        "respond_minutes": r,
        "onsite_minutes": o,
        "fix_minutes": f,
        "backup_minutes": b,
    }


def hours_text(minutes: int) -> str:
    """Minutes as the plan counts them: ``2`` hours, ``1.5`` hours."""
    return f"{minutes / 60:g}"


def decision_body(text: str) -> dict[str, Any]:
    if not text.strip():
        raise FormError("console.decision.need_text")
    return {"text": text.strip()}


#: the fields of a warranty certificate and of a maintenance agreement the office may correct
DOCUMENT_FIELDS = {
    "certificate": ("number", "issued_on", "scope", "starts_on", "ends_on", "responsibility"),
    "agreement": (
        "number",
        "scope",
        "content",
        "method",
        "rules",
        "fee",
        "fee_terms",
        "starts_on",
        "ends_on",
        "repair_discount_pct",
    ),
}
_DAYS = {"issued_on", "starts_on", "ends_on"}
_REQUIRED = {"number": "console.contracts.need_number", "scope": "console.contracts.need_scope"}


def _decimal(
    text: str, refusal: str, *, empty: str = "", below: Decimal | None = None, at_most: Decimal | None = None
) -> str:
    """A non-negative decimal to the hundredth (as the server takes it), as text; else ``refusal``.
    An empty field reads as ``empty`` (refused when that is empty too)."""
    try:
        value = Decimal(text.strip() or empty)
    except InvalidOperation as exc:
        raise FormError(refusal) from exc
    if (
        not value.is_finite()
        or value < 0
        or value != value.quantize(Decimal("0.01"))
        or (below is not None and value >= below)
        or (at_most is not None and value > at_most)
    ):
        raise FormError(refusal)
    return f"{value.quantize(Decimal('0.01'))}"


def _fee(text: str) -> str:
    """Yuan to the fen."""
    return _decimal(text, "console.contracts.bad_fee", below=Decimal(10**10))


def _pct(text: str) -> str:
    """A repair discount in percent, 0 to 100, to the hundredth."""
    return _decimal(text, "console.contracts.bad_discount", empty="0", at_most=Decimal(100))


_NUMBERS = {"fee": _fee, "repair_discount_pct": _pct}


def document_changes(kind: str, loaded: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """The fields of a certificate or agreement that differ from what was loaded, checked as the server
    checks them on creation (number and scope required, days valid and in order, the fee in yuan to the
    fen, sent as a string)."""
    clean: dict[str, str] = {}
    for key in DOCUMENT_FIELDS[kind]:
        text = fields.get(key, str(loaded.get(key) or "")).strip()
        if key in _REQUIRED and not text:
            raise FormError(_REQUIRED[key])
        if key in _DAYS:
            text = _day(text, "console.contracts.bad_date")
        elif key in _NUMBERS:
            text = _NUMBERS[key](text)
        clean[key] = text
    if clean["ends_on"] < clean["starts_on"]:
        raise FormError("console.contracts.end_before_start")
    was = {
        k: (_NUMBERS[k](str(loaded.get(k) or "0")) if k in _NUMBERS else str(loaded.get(k) or ""))
        for k in clean
    }
    return {k: v for k, v in clean.items() if v != was[k]}
