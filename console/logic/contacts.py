"""What the register screen (来电来函登记) decides without a browser: the query of its filters, the body of
a new contact and of an inquiry turned into a job, each checked before it is sent, and the words for the
key customer and the person responsible shown on the board and the job. A form error is a catalogue key
(``console.logic.customers.FormError``)."""

from __future__ import annotations

from typing import Any

from console.logic.customers import FormError
from shared.contacts import ContactKind
from shared.enums import ContactChannel, Role, Severity
from shared.roles import ROLES, Capability

#: the kinds of contact the register's form records (a repair call is recorded on the call screen)
FORM_KINDS = (ContactKind.INQUIRY, ContactKind.COMPLAINT, ContactKind.CORRESPONDENCE, ContactKind.OTHER)
#: the kinds that may become a job
TO_JOB = frozenset({ContactKind.INQUIRY.value, ContactKind.CORRESPONDENCE.value, ContactKind.OTHER.value})


def _in(role: str, capability: Capability) -> bool:
    try:
        return Role(role) in ROLES[capability]
    except ValueError:
        return False


def can_open_job(role: str) -> bool:
    """Opening a job from an inquiry is the service desk's (the server's requires_dispatch)."""
    return _in(role, Capability.DISPATCH)


def can_set_care(role: str) -> bool:
    """Naming a key customer and the person responsible: manager and admin."""
    return _in(role, Capability.MANAGE_CONTRACTS)


def register_query(kind: str, channel: str, customer_id: str, text: str) -> dict[str, str]:
    """The register's filters as query parameters; an empty filter is left out."""
    query = {"kind": kind, "channel": channel, "customer_id": customer_id, "q": text.strip()[:100]}
    return {k: v for k, v in query.items() if v}


def contact_body(
    *,
    kind: str,
    channel: str,
    customer_id: str,
    name: str,
    phone: str,
    summary: str,
    answer: str,
    outcome: str,
    severity: str = Severity.GENERAL.value,
) -> dict[str, Any]:
    """A new contact: a summary always, a customer for a complaint (the server records the complaint)."""
    if kind not in {k.value for k in FORM_KINDS}:
        raise FormError("console.register.need_kind")
    if channel not in {c.value for c in ContactChannel}:
        raise FormError("console.register.need_channel")
    if not summary.strip():
        raise FormError("console.register.need_summary")
    if kind == ContactKind.COMPLAINT.value and not customer_id:
        raise FormError("console.register.need_customer")
    body: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "contact_name": name.strip(),
        "phone": phone.strip(),
        "summary": summary.strip(),
        "answer": answer.strip(),
        "outcome": outcome.strip(),
    }
    if customer_id:
        body["customer_id"] = customer_id
    if kind == ContactKind.COMPLAINT.value:
        body["severity"] = severity
    return body


def job_body(site_id: str, severity: str, engineer_id: str = "") -> dict[str, Any]:
    """An inquiry turned into a job: the site is required; the summary becomes the symptom."""
    if not site_id:
        raise FormError("console.register.need_site")
    body: dict[str, Any] = {"site_id": site_id, "severity": severity}
    if engineer_id:
        body["assigned_engineer_id"] = engineer_id
    return body


def care_text(customer: dict[str, Any] | None, names: dict[str, str], t: Any) -> str:
    """``重点客户 · 专人：张三`` for the board and the job; empty for an ordinary customer with nobody."""
    if not customer:
        return ""
    parts = []
    if customer.get("key_customer"):
        parts.append(t("console.care.key"))
    responsible = customer.get("responsible_id")
    if responsible:
        parts.append(t("console.care.responsible_short", name=names.get(responsible, "?")))
    return " · ".join(parts)
