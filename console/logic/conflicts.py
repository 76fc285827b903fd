"""How a conflict reads in the office's review queue, and what can be done about it."""

from __future__ import annotations

from typing import Any

from shared.enums import BillableReason, JobKind, JobStatus, Severity
from shared.i18n import has_key, translate
from sync.merge import LWW_JOB_FIELDS, OFFICE_DECIDED

#: job fields whose values are codes, and the catalogue prefix that words them as the tablet does
_CODED_FIELDS = {
    "status": ("enum.status", JobStatus),
    "billable_reason": ("enum.billable_reason", BillableReason),
    "severity": ("enum.severity", Severity),
    "kind": ("enum.kind", JobKind),
}
_YES_NO_FIELDS = frozenset({"billable", "backup_lent"})

#: conflicts with these resolutions keep the office's value or record the engineer's; overriding
#: would only write the office's value again, so they are accepted (reviewed), not overridden
_NOT_OVERRIDABLE_FIELDS = frozenset({"status", "access", "assigned_engineer_id", "acceptance"})


def can_override(conflict: dict[str, Any]) -> bool:
    """Whether the office can set the contested value itself (the server refuses the rest)."""
    if conflict.get("status") != "open":
        return False
    if conflict.get("entity") == "checklist_result":
        return True
    if signed_twice(conflict):  # the office chooses the earlier signature (the conflict's server value)
        return True
    field = str(conflict.get("field", ""))
    return (
        conflict.get("entity") == "job"
        and field in LWW_JOB_FIELDS
        and field not in _NOT_OVERRIDABLE_FIELDS
        and field not in OFFICE_DECIDED  # billing: the job's billing decision, with a reason (server rule)
    )


def signed_twice(conflict: dict[str, Any]) -> bool:
    """A job signed twice: both signatures are kept, and the office may keep the first one."""
    value = conflict.get("server_value")
    return (
        conflict.get("reason") == "signed_twice"
        and isinstance(value, dict)
        and bool(value.get("signature_id"))
    )


def override_label(conflict: dict[str, Any]) -> str:
    """The i18n key of the button that sets the conflict's earlier value again."""
    return (
        "console.conflicts.keep_first_signature"
        if signed_twice(conflict)
        else "console.conflicts.restore_office"
    )


def field_label(lang: str, conflict: dict[str, Any]) -> str:
    if conflict.get("entity") == "van_stock":
        return translate(lang, "console.conflicts.van_stock")
    field = str(conflict.get("field", ""))
    if field.startswith("checklist:"):
        return translate(lang, "console.conflicts.checklist_item", code=field.split(":", 1)[1])
    key = f"app.field.{field}"
    return translate(lang, key) if has_key(key) else field


def value_text(lang: str, value: Any, field: str = "") -> str:
    """A contested value in words: empty, yes/no, a checklist answer, a code of ``field`` in the words
    the tablet shows (``signed_off`` -> 已验收), or the text itself."""
    if value is None or value == "":
        return translate(lang, "console.conflicts.empty")
    coded = _CODED_FIELDS.get(field)
    if coded is not None and isinstance(value, str) and has_key(f"{coded[0]}.{value}"):
        return translate(lang, f"{coded[0]}.{value}")
    if isinstance(value, bool):
        return translate(lang, "app.common.yes" if value else "app.common.no")
    if isinstance(value, dict):
        parts = []
        if "used" in value:  # a van stock conflict: what the tablet used, what the books held
            parts.append(translate(lang, "console.conflicts.used", n=value["used"]))
        if "on_hand" in value:
            parts.append(translate(lang, "console.conflicts.on_hand", n=value["on_hand"]))
        if value.get("result"):
            parts.append(translate(lang, f"enum.check_result.{value['result']}"))
        if value.get("value") is not None:
            parts.append(str(value["value"]))
        for key in ("note", "opinion", "comment", "mutation"):
            if value.get(key):
                parts.append(str(value[key]))
        if value.get("satisfaction"):
            parts.append(translate(lang, "form.satisfaction_of", n=value["satisfaction"]))
        return " · ".join(parts) or translate(lang, "console.conflicts.empty")
    return str(value)


def resolution_text(lang: str, conflict: dict[str, Any]) -> str:
    """What the server did automatically, worded for the office."""
    resolution = str(conflict.get("resolution", ""))
    key = f"console.resolution.{resolution}"
    text = translate(lang, key) if has_key(key) else resolution
    reason = conflict.get("reason")
    if reason and has_key(f"console.reason.{reason}"):
        text += translate(lang, "console.conflicts.because", why=translate(lang, f"console.reason.{reason}"))
    return text


def override_choices(lang: str, conflict: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The values the office may set for this conflict's field, as (code, words), or None when the
    field takes free text (then the office types it; nothing is filled in for it)."""
    field = str(conflict.get("field", ""))
    if field in _YES_NO_FIELDS:
        return [("true", translate(lang, "app.common.yes")), ("false", translate(lang, "app.common.no"))]
    coded = _CODED_FIELDS.get(field)
    if coded is not None:
        prefix, enum = coded
        return [(m.value, translate(lang, f"{prefix}.{m.value}")) for m in enum]
    return None


def chosen_value(conflict: dict[str, Any], choice: str) -> Any:
    """The value an override sends for a choice of :func:`override_choices` (or typed text)."""
    field = str(conflict.get("field", ""))
    if field in _YES_NO_FIELDS:
        return choice == "true"
    return choice.strip()


def override_default(conflict: dict[str, Any]) -> Any:
    """The value an override proposes: the office's own (the server-side value the device replaced)."""
    return conflict.get("server_value")
