"""Conflicts and refused taps in words, from the catalogue (never raw field names or codes)."""

from __future__ import annotations

from typing import Any

from shared.i18n import has_key, translate


def _value(lang: str, field: str, value: Any) -> str:
    if value is None or value == "":
        return translate(lang, "app.conflict.empty")
    if isinstance(value, bool):
        return translate(lang, "app.common.yes" if value else "app.common.no")
    if isinstance(value, dict):
        parts = [_value(lang, f"{field}.{k}", v) for k, v in value.items() if v not in (None, "")]
        return "，".join(parts) if lang == "zh-CN" else ", ".join(parts)
    text = str(value)
    for prefix in ("enum.status.", "enum.check_result.", "enum.billable_reason."):
        if has_key(prefix + text, lang):
            return translate(lang, prefix + text)
    return text


def field_label(lang: str, field: str, item_labels: dict[str, str] | None = None) -> str:
    """``symptom`` -> 故障现象; ``checklist:seal`` -> 检查项「机械密封」."""
    if field.startswith("checklist:"):
        code = field.split(":", 1)[1]
        return translate(lang, "app.conflict.checklist_item", item=(item_labels or {}).get(code, code))
    key = f"app.field.{field}"
    return translate(lang, key) if has_key(key) else field


def explain_conflict(
    lang: str, conflict: dict[str, Any], job_number: str, item_labels: dict[str, str] | None = None
) -> str:
    """One paragraph: what the engineer set, what the office had, what was kept and why."""
    field = str(conflict.get("field") or "")
    resolution = str(conflict.get("resolution") or "")
    reason = str(conflict.get("reason") or "")
    status = str(conflict.get("status") or "open")
    return translate(
        lang,
        "app.conflict.sentence",
        number=job_number or translate(lang, "app.conflict.unknown_job"),
        field=field_label(lang, field, item_labels),
        device=_value(lang, field, conflict.get("device_value")),
        server=_value(lang, field, conflict.get("server_value")),
        resolution=translate(lang, f"enum.resolution.{resolution}") if resolution else "",
        reason=translate(lang, f"enum.conflict_reason.{reason}") if reason else "",
        status=translate(lang, f"enum.conflict_status.{status}"),
    )


def explain_rejection(lang: str, name: str, reason: str, message: str, job_number: str) -> str:
    what = translate(lang, f"enum.mutation.{name}")
    key = f"enum.reject_reason.{reason}"
    why = translate(lang, key) if has_key(key) else message or reason
    return translate(lang, "app.sync.rejected_sentence", what=what, number=job_number or "?", why=why)
