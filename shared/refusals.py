"""The server's refusals in the user's language.

A refusal's problem body carries, beside the English ``detail`` that API clients read, a stable
``code`` and its ``params``: ``{"code": "job.not_assignable", "params": {"number": "J-001", "status":
"resolved"}}``. The catalogues word it as ``error.server.<code>`` with the same ``{placeholders}``.
A parameter named in :data:`ENUM_PARAMS` holds an enum's value and is shown through that enum's own
catalogue keys (``resolved`` -> 已修复); a list is shown item by item, joined. A body without a code,
or with a code this build does not know (an older or newer server), gives None: the caller then words
the refusal as it did before codes existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.i18n import DEFAULT_LANG, catalogue, translate

__all__ = ["ENUM_PARAMS", "KEY_PREFIX", "refusal_key", "refusal_text"]

KEY_PREFIX = "error.server."

#: parameter name -> the catalogue family that shows its enum value
ENUM_PARAMS: dict[str, str] = {
    "status": "enum.status.",
    "kind": "enum.kind.",
    "severity": "enum.severity.",
    "category": "enum.category.",
    "role": "console.role.",
    "roles": "console.role.",
    "complaint_status": "console.complaint.status.",
    "store_kind": "enum.store_kind.",
    "equipment_category": "enum.category.",
    "frequency": "enum.frequency.",
    "conflict_status": "enum.conflict_status.",
    "unit_status": "enum.unit_status.",  # a backup unit's
    "return_status": "enum.return_status.",  # a return request's (shared.returns)
    "return_target": "enum.return_status.",
    "claim_status": "enum.claim_status.",
    "claim_target": "enum.claim_status.",
    "compensation_status": "enum.compensation_status.",
    "compensation_target": "enum.compensation_status.",
    "incident_status": "enum.incident_status.",  # a quality incident's (shared.quality)
    "incident_target": "enum.incident_status.",
    "fields": "app.field.",  # a job's field names (a name without a text is shown as it is)
    "lacking": "app.accept.",  # what approval misses: the signature, the satisfaction, checklist labels
}

_JOIN = {"zh-CN": "、", "en": ", "}


def refusal_key(code: str) -> str:
    return KEY_PREFIX + code


def _shown(lang: str, name: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return _JOIN.get(lang, ", ").join(_shown(lang, name, v) for v in value)
    family = ENUM_PARAMS.get(name)
    if family is not None and isinstance(value, str):
        key = family + value
        if key in catalogue(lang) or key in catalogue(DEFAULT_LANG):
            return translate(lang, key)
    return "" if value is None else str(value)


def refusal_text(lang: str, body: Mapping[str, Any] | None) -> str | None:
    """The refusal in ``body`` (a problem-details object) worded in ``lang``; None when it has no code
    this build knows, or params that are not an object."""
    if not isinstance(body, Mapping):
        return None
    code, params = body.get("code"), body.get("params", {})
    if not isinstance(code, str) or not isinstance(params, Mapping):
        return None
    key = refusal_key(code)
    if key not in catalogue(lang) and key not in catalogue(DEFAULT_LANG):
        return None
    return translate(lang, key, **{str(k): _shown(lang, str(k), v) for k, v in params.items()})
