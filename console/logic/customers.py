"""What the customer screens decide without a browser: which customers match a search, what a complaint
may do next for a role, and the request bodies of the forms (complaint, return visit, training, billing),
each checked before it is sent. A form error is a catalogue key (``FormError.key``)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from shared.enums import Role
from shared.roles import ROLES, Capability

#: who may close a complaint or overrule billing
QUALITY_ROLES = ROLES[Capability.APPROVE_QUALITY]
#: who answers customers: handles complaints and records return visits
CARE_ROLES = ROLES[Capability.CARE_FOR_CUSTOMERS]
#: who records complaints and plans training
DESK_ROLES = ROLES[Capability.DISPATCH]
MATCHES = 30
MAX_NAME = 100
SPLIT = re.compile(r"[\n,，、;；]+")
WHEN_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d")


class FormError(ValueError):
    """A form that cannot be sent; ``key`` is the message in the catalogue."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _role(role: str) -> Role | None:
    try:
        return Role(role)
    except ValueError:
        return None


def can_record(role: str) -> bool:
    return _role(role) in DESK_ROLES


def can_care(role: str) -> bool:
    return _role(role) in CARE_ROLES


def can_decide(role: str) -> bool:
    return _role(role) in QUALITY_ROLES


def matching_customers(customers: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Customers whose name or contract number holds ``text``, names starting with it first."""
    needle = text.strip().lower()
    hits = [
        c for c in customers if needle in c["name"].lower() or needle in (c.get("contract_no") or "").lower()
    ]
    return sorted(hits, key=lambda c: (not c["name"].lower().startswith(needle), c["name"]))[:MATCHES]


def complaint_actions(status: str, role: str) -> list[str]:
    """What this role may do to a complaint now: ``handle`` (start or update) and ``close``."""
    actions = []
    if status in ("received", "handling") and can_care(role):
        actions.append("handle")
    if status == "handling" and can_decide(role):
        actions.append("close")
    return actions


def complaint_body(
    customer_id: str, content: str, complainant: str, phone: str, job_id: str
) -> dict[str, Any]:
    if not content.strip():
        raise FormError("console.customers.need_content")
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "content": content.strip(),
        "complainant": complainant.strip(),
        "phone": phone.strip(),
    }
    if job_id:
        body["job_id"] = job_id
    return body


def visit_body(result: str, method: str, satisfaction: int | None, outcome: str, note: str) -> dict[str, Any]:
    """A return visit's outcome: done needs a satisfaction of 1 to 5, unreachable takes none."""
    if result not in ("done", "unreachable"):
        raise FormError("console.customers.need_result")
    body: dict[str, Any] = {
        "result": result,
        "method": method,
        "outcome": outcome.strip(),
        "note": note.strip(),
    }
    if result == "done":
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise FormError("console.customers.need_satisfaction")
        body["satisfaction"] = satisfaction
    return body


def parse_attendees(text: str) -> list[str]:
    """Names separated by new lines, commas or 、; blanks and repeats dropped, order kept."""
    names = [n.strip() for n in SPLIT.split(text)]
    out = list(dict.fromkeys(n for n in names if n))
    if any(len(n) > MAX_NAME for n in out):
        raise FormError("console.customers.name_too_long")
    return out


def parse_when(text: str, tz: tzinfo) -> datetime:
    """A planned time (``2026-08-03 09:30``, or a day for 09:00), in the office's zone; may be future."""
    cleaned = text.strip().replace("：", ":")
    for fmt in WHEN_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            parsed = parsed.replace(hour=9)
        return parsed.replace(tzinfo=tz)
    raise FormError("console.customers.bad_when")


def training_body(
    *,
    customer_id: str,
    site_id: str,
    equipment_id: str,
    engineer_id: str,
    content: str,
    place: str,
    when: str,
    attendees: str,
    tz: tzinfo,
) -> dict[str, Any]:
    if not site_id:
        raise FormError("console.customers.need_site")
    if not content.strip():
        raise FormError("console.customers.need_content")
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "site_id": site_id,
        "content": content.strip(),
        "place": place.strip(),
        "scheduled_at": parse_when(when, tz).isoformat(),
        "attendees": parse_attendees(attendees),
    }
    if equipment_id:
        body["equipment_id"] = equipment_id
    if engineer_id:
        body["engineer_id"] = engineer_id
    return body


def billing_body(billable: bool | None, reason: str, note: str) -> dict[str, Any]:
    """The office's billing decision; the note saying why is required."""
    if billable is None:
        raise FormError("console.billing.need_choice")
    if not reason:
        raise FormError("console.billing.need_reason")
    if billable and reason == "in_warranty":
        raise FormError("console.billing.paid_in_warranty")
    if not note.strip():
        raise FormError("console.billing.need_note")
    return {"billable": billable, "reason": reason, "note": note.strip()}


def average_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def warranty_colour(state: str) -> str:
    return {"in_warranty": "#d7f5dc", "expired": "#ffd8d8"}.get(state, "#e9eef3")
