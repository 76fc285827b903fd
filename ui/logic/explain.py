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


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def field_label(lang: str, field: str, item_labels: dict[str, str] | None = None) -> str:
    """``symptom`` -> 故障现象; ``checklist:seal`` -> 检查项「机械密封」."""
    if field.startswith("checklist:"):
        code = field.split(":", 1)[1]
        return translate(lang, "app.conflict.checklist_item", item=(item_labels or {}).get(code, code))
    key = f"app.field.{field}"
    return translate(lang, key) if has_key(key) else field


def explain_conflict(
    lang: str,
    conflict: dict[str, Any],
    job_number: str,
    item_labels: dict[str, str] | None = None,
    part_names: dict[str, str] | None = None,
) -> str:
    """One paragraph: what the engineer set, what the office had, what was kept and why.

    A van-stock shortfall reads differently: what was used, what the van held by the books, and
    that the warehouse was told (``part_names`` gives the part's name by id).
    """
    field = str(conflict.get("field") or "")
    resolution = str(conflict.get("resolution") or "")
    reason = str(conflict.get("reason") or "")
    status = str(conflict.get("status") or "open")
    number = job_number or translate(lang, "app.conflict.unknown_job")
    if reason == "insufficient_stock":
        used: dict[str, Any] = _mapping(conflict.get("device_value"))
        held: dict[str, Any] = _mapping(conflict.get("server_value"))
        part_id = str(used.get("part_id") or "")
        return translate(
            lang,
            "app.conflict.van_short",
            number=number,
            used=used.get("used", "?"),
            part=(part_names or {}).get(part_id) or part_id[:8] or "?",
            on_hand=max(int(held.get("on_hand") or 0), 0),
            status=translate(lang, f"enum.conflict_status.{status}"),
        )
    return translate(
        lang,
        "app.conflict.sentence",
        number=number,
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
